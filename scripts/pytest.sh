#!/usr/bin/env bash
# Runs the Python worker tests; pytest's "no tests collected" (exit 5) is a failure here too.
set -euo pipefail
cd "$(dirname "$0")/../py"
exec ../.venv/bin/python -m pytest -q "$@"
