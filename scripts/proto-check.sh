#!/usr/bin/env bash
# Fails when the committed generated code differs from what proto/ generates now.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r ts/gen "$tmp/ts-gen"; cp -r py/condense_worker/gen "$tmp/py-gen"
bash scripts/proto-gen.sh
if ! diff -r "$tmp/ts-gen" ts/gen >/dev/null || ! diff -r -x __pycache__ "$tmp/py-gen" py/condense_worker/gen >/dev/null; then
  echo "proto drift: generated code differs from proto/ (run npm run proto:gen and commit)" >&2
  diff -r "$tmp/ts-gen" ts/gen || true
  diff -r -x __pycache__ "$tmp/py-gen" py/condense_worker/gen || true
  exit 1
fi
echo "proto: generated code matches proto/"
