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
logs=("$build/meson-logs/testlog.json")

# The host code again under AddressSanitizer and UndefinedBehaviorSanitizer (any report fails):
# the unit tests of the shared parsers and the CLI tests. Skipped when a suite was asked for.
if [[ $# -eq 0 && ${ZUKI_SKIP_SANITIZERS:-0} != 1 ]]; then
        asan=${build}-asan
        if [[ ! -f $asan/build.ninja ]]; then
                meson setup "$asan" -Dzstd_source="$ZUKI_ZSTD_SRC" -Db_sanitize=address,undefined \
                        -Db_lundef=false -Dcpp_args=-fno-sanitize-recover=all -Dqemu_tests=disabled >/dev/null
        fi
        meson compile -C "$asan" >/dev/null
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
                meson test -C "$asan" --num-processes 2 --print-errorlogs --suite unit --suite cli || status=$?
        logs+=("$asan/meson-logs/testlog.json")
fi

/usr/bin/python3 - "${logs[@]}" <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[1:]:
    with open(path) as f:
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
