#!/usr/bin/env bash
# The Chromium engine for *.engine.test.ts (the report's browser test): Debian's `chromium` package,
# never a browser build downloaded by a test library. Subcommands (idempotent):
#   install  apt-get install chromium, unless /usr/bin/chromium is already there
#   start    prints DRIVERLAB_CHROMIUM=<path> for .ci/run to put in the environment (no daemon)
#   stop     nothing to stop
set -euo pipefail
bin=/usr/bin/chromium
case "${1:-}" in
  install)
    if [ ! -x "$bin" ]; then
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq --no-install-recommends chromium >&2
    fi
    ;;
  start)
    if [ ! -x "$bin" ]; then
      echo "chromium.sh: $bin is not installed; run '.ci/engines/chromium.sh install' first." >&2
      exit 1
    fi
    echo "DRIVERLAB_CHROMIUM=$bin"
    ;;
  stop) ;;
  *)
    echo "usage: $0 install|start|stop" >&2
    exit 2
    ;;
esac
