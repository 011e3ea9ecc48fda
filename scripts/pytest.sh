#!/usr/bin/env bash
# Runs the Python worker tests from the repo root (pyproject.toml there sets testpaths = py/tests);
# pytest's "no tests collected" (exit 5) is a failure here too.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest -q "$@"
