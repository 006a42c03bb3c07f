#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ukify (the distribution's, unmodified) must read a zuki zboot image as `--linux`: it detects the
# kernel release from the image and puts it in .uname. The expected release comes from the Debian
# package the kernel was taken from, not from zuki.
#   test-ukify-zboot.sh ZBOOT_IMAGE EXPECTED_RELEASE SYSTEMD_STUB [UKIFY_ASSET]
# UKIFY_ASSET names the ukify in assets.env: ZUKI_UKIFY (trixie's 257, the default) or
# ZUKI_UKIFY262 (sid's 262).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
image=$1 expected=$2 stub=$3 ukify_asset=${4:-ZUKI_UKIFY}
load_assets
need_asset "$ukify_asset" "ukify ($ukify_asset)"
ukify=${!ukify_asset}

make_tmp
echo "root=/dev/null" > "$tmp/cmdline"
"$ZUKI_PYTHON" "$ukify" --version
"$ZUKI_PYTHON" "$ukify" build --linux "$image" --stub "$stub" --cmdline "@$tmp/cmdline" \
        --output "$tmp/uki.efi" 2> "$tmp/stderr" || { cat "$tmp/stderr"; fail "ukify build failed"; }
cat "$tmp/stderr"
"$ZUKI_PYTHON" "$ukify" inspect "$tmp/uki.efi" --section .uname:text --json=short > "$tmp/inspect.json"
got=$("$ZUKI_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[".uname"]["text"])' "$tmp/inspect.json")
echo "ukify .uname: '$got', expected '$expected'"
[[ $got == "$expected" ]] || fail "wrong or missing .uname"
echo PASS
