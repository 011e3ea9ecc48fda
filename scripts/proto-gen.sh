#!/usr/bin/env bash
# Regenerates the TypeScript and Python code for proto/ (committed; scripts/proto-check.sh fails on drift).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
rm -rf ts/gen py/condense_worker/gen
npx --no-install buf generate
mkdir -p py/condense_worker/gen
"$PY" -m grpc_tools.protoc -Iproto --python_out=py/condense_worker/gen --pyi_out=py/condense_worker/gen proto/condense/v1/worker.proto
# grpc_tools writes package folders without __init__ and with absolute imports; make them a package.
touch py/condense_worker/gen/__init__.py py/condense_worker/gen/condense/__init__.py py/condense_worker/gen/condense/v1/__init__.py
