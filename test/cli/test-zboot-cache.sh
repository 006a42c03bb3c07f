#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki zboot --cache-dir (what zuki's kernel-install plugin uses, because Debian runs kernel-install
# two or three times per kernel package): the second run with the same inputs reuses the first
# one's image (byte for byte what a fresh run writes); other options, another kernel or a changed
# zuki are other entries; a damaged entry or a directory others can write is not used.
#   test-zboot-cache.sh ZUKI KERNEL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 kernel=$2
make_tmp
cache=$tmp/cache/zboot
field() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
zb() { # NAME [options...]: zboot at level 3 into $tmp/NAME.efi, JSON in $tmp/NAME.json, stderr in $tmp/NAME.err
        local name=$1
        shift
        "$zuki" zboot --level 3 --json "$@" --output "$tmp/$name.efi" "$kernel" >"$tmp/$name.json" 2>"$tmp/$name.err" ||
                fail "zboot $name failed: $(cat "$tmp/$name.err")"
}

zb plain
zb first --cache-dir "$cache"
[[ $(field "$tmp/first.json" cache) == miss ]] && ok "first run: a miss" || bad "first run: $(field "$tmp/first.json" cache)"
[[ $(stat -c %a "$cache") == 700 ]] && ok "the cache directory was created 0700" || bad "cache directory mode $(stat -c %a "$cache")"
n=$(find "$cache" -name '*.efi' | wc -l)
((n == 1)) && ok "one entry stored" || bad "$n entries stored"
zb second --cache-dir "$cache"
[[ $(field "$tmp/second.json" cache) == hit ]] && ok "second run: a hit" || bad "second run: $(field "$tmp/second.json" cache)"
grep -q 'reused from the cache' "$tmp/second.err" && ok "the hit is reported: $(cat "$tmp/second.err")" || bad "the hit is not reported"
cmp -s "$tmp/first.efi" "$tmp/second.efi" && cmp -s "$tmp/plain.efi" "$tmp/second.efi" &&
        ok "the reused image is byte for byte the one made without the cache" || bad "the reused image differs"
"$zuki" inspect "$tmp/second.efi" >/dev/null || bad "zuki inspect refuses the reused image"

# Another level is another entry.
zb level4 --cache-dir "$cache" --level 4
[[ $(field "$tmp/level4.json" cache) == miss ]] && ok "--level 4: a miss" || bad "--level 4: $(field "$tmp/level4.json" cache)"

# A damaged entry (one byte of the image) is noticed and replaced.
entry=$(grep -o '/[^ )]*\.efi' "$tmp/second.err" | head -n 1)
[[ -f $entry ]] || fail "cannot find the entry the hit named"
/usr/bin/python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(4096); b = f.read(1); f.seek(4096); f.write(bytes([b[0] ^ 0xff]))' "$entry" ||
        fail "cannot damage $entry"
zb damaged --cache-dir "$cache"
[[ $(field "$tmp/damaged.json" cache) == miss ]] && grep -q 'does not match its .meta' "$tmp/damaged.err" &&
        ok "a damaged entry is not used: $(head -n 1 "$tmp/damaged.err")" || bad "a damaged entry was used or not reported"
cmp -s "$tmp/plain.efi" "$tmp/damaged.efi" && ok "the image made instead is the right one" || bad "wrong image after a damaged entry"
zb again --cache-dir "$cache"
[[ $(field "$tmp/again.json" cache) == hit ]] && ok "the entry was stored again" || bad "no hit after the damaged entry was replaced"

# A directory others can write is not used (an image from it ends up signed and booted).
chmod 0777 "$cache"
zb open --cache-dir "$cache"
[[ $(field "$tmp/open.json" cache) == miss ]] && grep -q 'writable by nobody else' "$tmp/open.err" &&
        ok "a world-writable cache is refused: $(cat "$tmp/open.err")" || bad "a world-writable cache was used"
chmod 0700 "$cache"
summary
