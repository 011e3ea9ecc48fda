#!/usr/bin/env bash
# Runs the Python worker tests from the repo root (pyproject.toml there sets testpaths = py/tests);
# pytest's "no tests collected" (exit 5) is a failure here too.
set -euo pipefail
cd "$(dirname "$0")/.."
# With no arguments: the worker tests and the Python client's (clients/python/tests).
[ $# -gt 0 ] || set -- py/tests clients/python/tests
exec .venv/bin/python -m pytest -q "$@"
