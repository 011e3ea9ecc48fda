#!/usr/bin/env bash
# Regenerates the TypeScript and Python code for proto/ (committed; scripts/proto-check.sh fails on drift).
#   scripts/proto-gen.sh            regenerate into the tree (ts/gen, py/condense_worker/gen)
#   scripts/proto-gen.sh --out DIR  write DIR/ts/gen and DIR/py/condense_worker/gen instead, tree untouched
# Everything is generated into a scratch folder first and swapped in only when every step succeeded, so a
# failing generator never leaves the committed code deleted or half-written.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
out=""
if [ "${1:-}" = "--out" ]; then out=${2:?--out needs a folder}; fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/condense-proto.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
npx --no-install buf generate -o "$scratch"
mkdir -p "$scratch/py/condense_worker/gen"
"$PY" -m grpc_tools.protoc -Iproto --python_out="$scratch/py/condense_worker/gen" --pyi_out="$scratch/py/condense_worker/gen" proto/condense/v1/worker.proto
# grpc_tools writes package folders without __init__ and with absolute imports; make them a package.
touch "$scratch/py/condense_worker/gen/__init__.py" "$scratch/py/condense_worker/gen/condense/__init__.py" "$scratch/py/condense_worker/gen/condense/v1/__init__.py"
[ -s "$scratch/ts/gen/condense/v1/worker_pb.ts" ] && [ -s "$scratch/py/condense_worker/gen/condense/v1/worker_pb2.py" ] || { echo "proto-gen: a generator produced no output" >&2; exit 1; }

if [ -n "$out" ]; then
  mkdir -p "$out/ts" "$out/py/condense_worker"
  rm -rf "$out/ts/gen" "$out/py/condense_worker/gen"
  mv "$scratch/ts/gen" "$out/ts/gen"; mv "$scratch/py/condense_worker/gen" "$out/py/condense_worker/gen"
  exit 0
fi
# Swap: each rename is atomic; the old copy is removed only after the new one is in place.
for d in ts/gen py/condense_worker/gen; do
  rm -rf "$d.old"; [ -e "$d" ] && mv "$d" "$d.old"
  mv "$scratch/$d" "$d"
  rm -rf "$d.old"
done
