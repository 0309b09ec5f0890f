#!/usr/bin/env bash
# Creates .venv with the locked dependencies, on a machine that has only Python 3.11 and pip.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.8
python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
[ -n "$python" ] || { echo "bootstrap: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { echo "bootstrap: $python is not Python 3.11 (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately from the interpreter.
    rm -rf .venv
    scripts/apt-install.sh python3-venv
    "$python" -m venv .venv
  fi
fi
if ! .venv/bin/uv --version 2>/dev/null | grep -q "^uv $UV_VERSION"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# Bytecode is compiled once here: uv does not by default, and every server, job and worker process would
# otherwise compile MLflow, pandas and scikit-learn from source as it starts (9 s for the server, not 3.5 s).
UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --locked --quiet --compile-bytecode
