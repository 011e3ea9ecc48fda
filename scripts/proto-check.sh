#!/usr/bin/env bash
# Fails when the committed generated code differs from what proto/ generates now. Never writes to the tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bash scripts/proto-gen.sh --out "$tmp"
if ! diff -r "$tmp/ts/gen" ts/gen >/dev/null || ! diff -r -x __pycache__ "$tmp/py/condense_worker/gen" py/condense_worker/gen >/dev/null; then
  echo "proto drift: generated code differs from proto/ (run npm run proto:gen and commit)" >&2
  diff -r "$tmp/ts/gen" ts/gen || true
  diff -r -x __pycache__ "$tmp/py/condense_worker/gen" py/condense_worker/gen || true
  exit 1
fi
echo "proto: generated code matches proto/"
