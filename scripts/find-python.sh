#!/usr/bin/env bash
# Prints a Python 3.10 interpreter for the virtual environment (Rasa 3.6 supports 3.8-3.10).
# Order: $PYTHON if given, python3.10 on the PATH, then pyenv's 3.10.x installations.
set -euo pipefail

is_supported() {
  "$1" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' 2>/dev/null
}

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
pyenv_root="$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")"
for dir in $(ls -d "$pyenv_root"/versions/3.10.* 2>/dev/null | sort -V -r); do
  candidates+=("$dir/bin/python")
done

for python in "${candidates[@]}"; do
  if [ -x "$python" ] && is_supported "$python"; then
    echo "$python"
    exit 0
  fi
done

echo "SpineBot needs Python 3.10 (Rasa 3.6 runs on Python 3.8-3.10), and none was found." >&2
echo "Install it (for example 'pyenv install 3.10') or point to one: make PYTHON=/path/to/python3.10 run" >&2
exit 1
