#!/usr/bin/env bash
# Regenerates proto/container/golden/: Python writes the valid and malformed files and the manifest,
# then TypeScript signs copies with the //Alice dev key. Usage: proto/container/generate.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-proto/container/golden}
.venv/bin/python proto/container/make_golden.py "$out"
npx tsx proto/container/sign_golden.ts "$out"
