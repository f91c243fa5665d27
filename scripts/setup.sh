#!/usr/bin/env bash
# Installs what simcmd needs on a Debian/Ubuntu machine: the Lua 5.3 VM (Debian package lua5.3,
# for the Lua firmware build and its tests), socat (the virtual modem's pty) and Chromium (the
# dashboard's browser tests drive it headless through playwright-core), then the npm dependencies
# (npm ci also builds the XS engine from source and the firmware bundles through `prepare`).
# Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
# socat creates the virtual modem's pseudo-terminal (`simcmd modem`, test/virtual-modem); python3 is its fallback.
# Chromium: Debian's package at /usr/bin/chromium (playwright-core downloads no browser of its own).
# HAProxy: the load balancer of the bridge cluster test (test/cluster/), run privately by the test, never
# as a service.
if ! command -v lua5.3 >/dev/null 2>&1 || ! command -v socat >/dev/null 2>&1 || [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/haproxy ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq lua5.3 socat chromium haproxy >/dev/null
  # the package's own service is not wanted (the test starts its own haproxy on free loopback ports)
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now haproxy >/dev/null 2>&1 || true; fi
fi
[ -x /usr/sbin/haproxy ] || { echo "setup.sh: /usr/sbin/haproxy is missing after apt-get install haproxy" >&2; exit 1; }
command -v socat >/dev/null 2>&1 || { echo "setup.sh: socat is missing after apt-get install" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "setup.sh: /usr/bin/chromium is missing after apt-get install chromium" >&2; exit 1; }
# Exactly the committed lockfile (it lists the optional native bindings of rollup and jest's resolver for
# every platform, so it is complete and a set-up leaves the work tree clean); `npm ci` also runs `prepare`.
npm ci --no-audit --no-fund
