#!/usr/bin/env bash
# `make test`: Rasa's own checks, then the pytest suite (its summary line is the last thing printed).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p results test-artifacts
# named, not blanket: raised while TensorFlow is imported, before pytest's own filters apply
export PYTHONWARNINGS="ignore:jax.xla_computation is deprecated:DeprecationWarning"
export SQLALCHEMY_WARN_20=1  # the project's own queries must be SQLAlchemy 2.0 style: their warnings show
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:5055/webhook}"  # endpoints.yml needs it; rasa test core calls no action

echo "== ruff (lint and format) and mypy"
$BIN/ruff check spinebot actions scripts tests
$BIN/ruff format --check spinebot actions scripts tests
$BIN/mypy

echo "== rasa data validate"
$BIN/rasa data validate --domain domain.yml --data data --config config.yml >results/validate.log 2>&1 \
  || { cat results/validate.log; echo "rasa data validate failed"; exit 1; }
grep -E "ERROR|error|Error|conflict|validat" results/validate.log || true

echo "== rasa test core (tests/test_stories.yml)"
$BIN/rasa test core --stories tests/test_stories.yml --model models/spinebot.tar.gz --out results/core \
  --fail-on-prediction-errors >results/core.log 2>&1 \
  || { tail -40 results/core.log; cat results/core/failed_test_stories.yml 2>/dev/null; echo "rasa test core failed"; exit 1; }
grep -E "Correct:|Accuracy:" results/core.log | head -4 || true

echo "== pytest"
$BIN/python -m pytest "$@"
