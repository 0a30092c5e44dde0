#!/usr/bin/env bash
# Makes sure Debian's headless Chromium is at /usr/bin/chromium for test/browser.test.ts.
# Idempotent: when it is there and runs, it does nothing. Installs it with apt-get (as root).
set -euo pipefail

if [ -x /usr/bin/chromium ] && /usr/bin/chromium --version >/dev/null 2>&1; then exit 0; fi

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "flowgrad: /usr/bin/chromium is missing; on Debian/Ubuntu as root run: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

echo "flowgrad: installing Chromium for the browser test" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version >&2
