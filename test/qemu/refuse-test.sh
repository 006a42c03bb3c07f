#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The stub refuses the images `zuki inspect` and `zuki build` refuse (cli-stub-refusals), for
# the same reason, in one `zuki: error:` line: a broken zboot image booted directly from the ESP,
# and one nested as the .linux of a UKI that ukify (which does not run these checks) made on the
# zuki stub, where a broken zboot header must not make the stub start the nested stub.
#   refuse-test.sh MODE ZUKI_STUB ZBOOT_IMAGE
#   MODE: direct-x86boot-entry | direct-skippable-frame | nested-payload-size-0
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
mode=$1 stub=$(realpath "$2") good=$(realpath "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
make_tmp

declare -A reason=(
        [x86boot-entry]='the .x86boot entry point is not inside an executable segment'
        [skippable-frame]='the zboot payload starts with a skippable zstd frame'
        [payload-size-0]='malformed zboot header'
)
class=${mode#*-}
/usr/bin/python3 "$here/../cli/make-bad-zboot.py" "$class" "$good" "$tmp/bad.efi" || fail "make-bad-zboot.py $class"
image=$tmp/bad.efi
if [[ $mode == nested-* ]]; then
        load_assets
        need_asset ZUKI_UKIFY "ukify"
        PYTHONPATH=${ZUKI_UKIFY_PYTHONPATH:-} /usr/bin/python3 "$ZUKI_UKIFY" build --stub "$stub" --linux "$tmp/bad.efi" \
                --uname 6.1.0-refuse --output "$tmp/uki.efi" >/dev/null || fail "ukify build"
        image=$tmp/uki.efi
fi
bash "$here/boot.sh" --arch x86_64 --firmware bookworm --esp-image "$image" --timeout 180 \
        --expect "zuki: error: .*${reason[$class]//./\\.}" --log "$tmp/serial.log"
rc=$?
((rc == 77)) && exit 77
((rc == 0)) || fail "the stub did not refuse with: ${reason[$class]}"
# The guest ran on until the firmware gave up on the boot option (boot.sh's default stops), so a
# second line, from a nested stub, would be in the log.
n=$(grep -c 'zuki: error' "$tmp/serial.log")
((n == 1)) || fail "$n error lines: $(grep 'zuki: error' "$tmp/serial.log")"
grep -q 'No kernel' "$tmp/serial.log" && fail "misleading line: $(grep 'No kernel' "$tmp/serial.log")"
echo "PASS: $(grep 'zuki: error' "$tmp/serial.log")"
