#!/usr/bin/env bash
# Starts the action server (5055) and the Rasa server (5005, REST and socket.io) and stops both on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
WIDGET_PORT="${WIDGET_PORT:-8080}"
CONSOLE_PORT="${CONSOLE_PORT:-8081}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"  # read by endpoints.yml

for port in "$RASA_PORT" "$ACTIONS_PORT" "$WIDGET_PORT" "$CONSOLE_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use: is SpineBot already running? Stop it first." >&2
    exit 1
  fi
done

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping SpineBot..."
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

# Only the demo page may call the bot from a browser unless SPINEBOT_CORS_ORIGINS (space-separated) says
# otherwise: Rasa's --cors for REST, and the gate (spinebot/channels.py) for socket.io.
export SPINEBOT_CORS_ORIGINS="${SPINEBOT_CORS_ORIGINS:-http://localhost:$WIDGET_PORT http://127.0.0.1:$WIDGET_PORT}"
read -r -a cors_origins <<< "$SPINEBOT_CORS_ORIGINS"

# The servers' start-up is noisy with third-party deprecation warnings (TensorFlow, Sanic, ...), which
# a clinic's operator cannot act on; the tests show every warning not silenced by name (pyproject.toml).
# This silences those raised before Sanic is imported; Sanic then turns deprecation warnings back on
# ("once"), so a dozen lines from pkg_resources, typer and packaging still appear at start-up.
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::DeprecationWarning}"

set -m  # each server in its own process group, so stopping takes its children too
# The action server checks no token: it listens on loopback only unless ACTIONS_HOST says otherwise.
SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}" $BIN/rasa run actions --port "$ACTIONS_PORT" --actions actions &
pids+=($!)
# Rasa listens on loopback too unless RASA_HOST says otherwise (put a TLS proxy in front: docs/deployment.md).
$BIN/rasa run -i "${RASA_HOST:-127.0.0.1}" --model models/spinebot.tar.gz --endpoints endpoints.yml --credentials credentials.yml \
  --port "$RASA_PORT" --cors "${cors_origins[@]}" &
pids+=($!)
$BIN/python -m spinebot.widget_server --port "$WIDGET_PORT" --rasa-url "http://localhost:$RASA_PORT" &
pids+=($!)
# The staff console listens on loopback only unless CONSOLE_HOST says otherwise.
$BIN/python -m spinebot.console --port "$CONSOLE_PORT" &
pids+=($!)
set +m

echo "SpineBot is starting (about 20 seconds; Ctrl-C stops everything):"
echo "  demo page with the chat widget: http://localhost:$WIDGET_PORT/"
echo "  REST: http://localhost:$RASA_PORT/webhooks/rest/webhook   socket.io: http://localhost:$RASA_PORT"
echo "  staff console: http://localhost:$CONSOLE_PORT/ (create an account first: .venv/bin/spinebot user add NAME --role admin)"
wait -n "${pids[@]}"
