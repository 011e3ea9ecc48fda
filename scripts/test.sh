#!/usr/bin/env bash
# Every test: the proto drift check, the TypeScript type check, vitest and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/proto-check.sh
npx --no-install tsc -p tsconfig.json
npx --no-install vitest run
bash scripts/pytest.sh
