#!/usr/bin/env sh
# System packages the test suite uses beyond Python (Debian and Ubuntu): Chromium and its driver
# run the archive verifier page (verifier_archive.html) headless (without them those tests are
# skipped, except under CI=true, where they fail); Xvfb and the xcb libraries let the till's window
# open on a virtual screen; poppler-utils turns PDF reports into pictures to look at.
set -eu
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi
apt-get update
apt-get install -y --no-install-recommends chromium chromium-driver \
    xvfb libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 poppler-utils
