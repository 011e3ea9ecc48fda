#!/usr/bin/env bash
# Starts or stops the test S3 server (moto, installed by scripts/setup.d/30-s3-server.sh) on loopback.
#   scripts/s3-server.sh start [PORT]   background; waits until it answers; prints S3_ENDPOINT=...
#   scripts/s3-server.sh stop [PORT]
#   scripts/s3-server.sh exec PORT      foreground (tests spawn this and kill it when done)
# Any access key and secret are accepted; buckets start empty and live in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/s3-server/venv
cmd=${1:-}
port=${2:-9010}
pidfile=.cache/s3-server/$port.pid
need_install() {
  [ -x "$venv/bin/moto_server" ] || { echo "s3 server not installed: run bash scripts/setup.d/30-s3-server.sh" >&2; exit 1; }
}
case "$cmd" in
  exec)
    need_install
    exec "$venv/bin/moto_server" -H 127.0.0.1 -p "$port"
    ;;
  start)
    need_install
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "S3_ENDPOINT=http://127.0.0.1:$port"; exit 0; fi
    nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" > ".cache/s3-server/$port.log" 2>&1 &
    echo $! > "$pidfile"
    for _ in $(seq 1 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then echo "S3_ENDPOINT=http://127.0.0.1:$port"; exit 0; fi
      kill -0 "$(cat "$pidfile")" 2>/dev/null || { echo "s3 server exited; see .cache/s3-server/$port.log" >&2; exit 1; }
      sleep 0.1
    done
    echo "s3 server did not answer on port $port within 10 s" >&2; exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; fi
    ;;
  *)
    echo "usage: $0 start|stop|exec [PORT]" >&2; exit 2
    ;;
esac
