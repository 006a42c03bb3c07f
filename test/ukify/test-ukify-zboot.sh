#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ukify (the distribution's, unmodified) must read a zuki zboot image as `--linux`: it detects the
# kernel release from the image and puts it in .uname. The expected release comes from the Debian
# package the kernel was taken from, not from zuki.
#   test-ukify-zboot.sh ZBOOT_IMAGE EXPECTED_RELEASE SYSTEMD_STUB
set -euo pipefail
image=$1 expected=$2 stub=$3
cache=${ZUKI_CACHE:-/var/cache/zuki}
# shellcheck source=/dev/null
source "$cache/assets.env" 2>/dev/null || { echo "SKIP: no $cache/assets.env (run tools/setup.sh)"; exit 77; }
[[ -x ${ZUKI_UKIFY:-} || -f ${ZUKI_UKIFY:-} ]] || { echo "SKIP: ukify not in the asset cache"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "root=/dev/null" > "$tmp/cmdline"
"$ZUKI_PYTHON" "$ZUKI_UKIFY" --version
"$ZUKI_PYTHON" "$ZUKI_UKIFY" build --linux "$image" --stub "$stub" --cmdline "@$tmp/cmdline" \
        --output "$tmp/uki.efi" 2> "$tmp/stderr" || { cat "$tmp/stderr"; echo "FAIL: ukify build failed"; exit 1; }
cat "$tmp/stderr"
"$ZUKI_PYTHON" "$ZUKI_UKIFY" inspect "$tmp/uki.efi" --section .uname:text --json=short > "$tmp/inspect.json"
got=$("$ZUKI_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[".uname"]["text"])' "$tmp/inspect.json")
echo "ukify .uname: '$got', expected '$expected'"
[[ $got == "$expected" ]] || { echo "FAIL: wrong or missing .uname"; exit 1; }
echo PASS
