#!/bin/sh
# Install Debian's chromium for the browser test of feasibility.html (tests/integration),
# once: does nothing when /usr/bin/chromium exists. `make test` calls it. Needs root (CI
# and the dev container run as root); without root or network it only warns, and the
# browser test then skips (or fails when CI is set, so CI cannot lose it silently).
set -u
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "ensure_chromium: /usr/bin/chromium is missing; install Debian's chromium (needs root)" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
    echo "ensure_chromium: could not install chromium with apt-get" >&2
fi
exit 0
