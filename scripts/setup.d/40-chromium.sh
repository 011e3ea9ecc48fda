#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser test (test/localnet/dashboard.test.ts), which drives
# it with playwright-core through executablePath: no browser is ever downloaded by playwright.
# Idempotent: does nothing when /usr/bin/chromium is there. Needs root and apt-get; without them it says what
# to run and exits 0 (the test then skips loudly, or fails under CI=true).
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "[setup] chromium: $CHROMIUM is missing and this is not root with apt-get; install Debian's chromium" \
    "(sudo apt-get install -y chromium) or the dashboard browser test skips (and fails under CI=true)." >&2
  exit 0
fi
# Another apt (setup of another component, unattended upgrades) may hold the lock: wait for it.
lock=(-o DPkg::Lock::Timeout=600)
echo "[setup] chromium: installing Debian's chromium for the dashboard browser test"
if ! DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -q --no-install-recommends chromium; then
  # A fresh machine may have no package lists yet.
  apt-get "${lock[@]}" update -q
  DEBIAN_FRONTEND=noninteractive apt-get "${lock[@]}" install -y -q --no-install-recommends chromium
fi
"$CHROMIUM" --version
