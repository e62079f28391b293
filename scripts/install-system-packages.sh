#!/usr/bin/env sh
# System packages the test suite uses beyond Python (Debian and Ubuntu): Chromium and its driver
# run the archive verifier page (verifier_archive.html) headless. Without them those tests are
# skipped, except under CI=true, where they fail.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
apt-get update
apt-get install -y --no-install-recommends chromium chromium-driver
