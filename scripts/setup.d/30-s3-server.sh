#!/usr/bin/env bash
# Installs the S3-compatible server the storage tests and the miner benchmark start on loopback.
# MinIO's server is not shipped by any package on PyPI, npm or Debian (see docs/storage.md), so this
# is moto's standalone server (`moto[server]`): a real HTTP S3 endpoint (SigV4 auth headers, multipart
# uploads, presigned GETs, ListObjectsV2, DeleteObjects) that keeps objects in memory.
# It lives in its own venv under .cache/ so the worker venv never sees boto/flask. Idempotent (stamp).
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
MOTO_VERSION=5.2.1
venv=.cache/s3-server/venv
stamp=$venv/.condense-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$MOTO_VERSION" ] && "$venv/bin/python" -c "import moto.server" 2>/dev/null; then
  exit 0
fi
mkdir -p .cache/s3-server
[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q "moto[server]==${MOTO_VERSION}"
"$venv/bin/python" -c "import moto; print('[setup] s3 server: moto', moto.__version__)"
echo "$MOTO_VERSION" > "$stamp"
