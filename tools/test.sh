#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs zuki's whole test suite: makes sure the machine is set up (tools/setup.sh is idempotent
# and quick when nothing is missing), builds, and runs `meson test`. Arguments are passed to
# `meson test` (e.g. --suite unit). Ends with one line "N passed, N failed, N skipped".
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

if [[ ${ZUKI_SKIP_SETUP:-0} != 1 ]]; then
        if [[ $(id -u) -eq 0 ]]; then
                tools/setup.sh
        else
                sudo tools/setup.sh
        fi
fi
cache=${ZUKI_CACHE:-/var/cache/zuki}
# shellcheck source=/dev/null
source "$cache/assets.env"

build=${ZUKI_BUILD_DIR:-build}
if [[ -f $build/build.ninja ]]; then
        meson setup --reconfigure "$build" -Dzstd_source="$ZUKI_ZSTD_SRC" >/dev/null
else
        meson setup "$build" -Dzstd_source="$ZUKI_ZSTD_SRC"
fi
meson compile -C "$build"

status=0
# QEMU runs in TCG on two cores: two tests at a time.
meson test -C "$build" --num-processes 2 --print-errorlogs "$@" || status=$?

/usr/bin/python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
with open(sys.argv[1]) as f:
    for line in f:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            counts["passed"] += 1
        elif result == "SKIP":
            counts["skipped"] += 1
        else:
            counts["failed"] += 1
print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
PY
exit "$status"
