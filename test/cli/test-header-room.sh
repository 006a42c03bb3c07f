#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The stub's header room is the limit on profiles: a UKI with exactly as many one-section profiles
# as the stub's headers hold is built and inspected; one more is refused by zuki build (one line
# naming both numbers, no output), and an image claiming one more section header than its header
# area holds is refused by zuki inspect in the same words. The room is computed here from the
# stub's PE headers, not asked of zuki.
#   test-header-room.sh ZUKI STUB ZBOOT_IMAGE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 stub=$2 linux=$3
make_tmp

# Section headers fit from the end of the optional header up to SizeOfHeaders or the first
# section's raw data (PE Format, "Section Table"), 40 bytes each.
read -r room own < <(/usr/bin/python3 - "$stub" <<'EOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", data, 0x3c)[0]
count, opt_size = struct.unpack_from("<H", data, pe + 6)[0], struct.unpack_from("<H", data, pe + 20)[0]
size_of_headers = struct.unpack_from("<I", data, pe + 24 + 60)[0]
table = pe + 24 + opt_size
end = size_of_headers
for i in range(count):
    raw_size, raw_offset = struct.unpack_from("<II", data, table + 40 * i + 16)
    if raw_size:
        end = min(end, raw_offset)
print((end - table) // 40, count)
EOF
)
[[ $room =~ ^[0-9]+$ && $own =~ ^[0-9]+$ ]] || fail "cannot read the stub's headers"
# systemd-stub 258 and later take at least 120 sections: a zuki UKI must be able to hold as many.
((room >= 120)) && ok "the stub's headers hold $room section headers (at least 120)" ||
        bad "the stub's headers hold only $room section headers, fewer than the 120 systemd 258 allows"
# zuki's parser takes at most 256 sections (docs/limits.md); below that the header area decides.
((room > 256)) && room=256
# The base is the stub's sections and .linux; every profile is one .profile section.
fit=$((room - own - 1))
echo "stub: $own sections, room for $room section headers: $fit one-section profiles"
((fit > 0)) || fail "no room for a profile"

build() { # PROFILES OUTPUT
        local args=() i
        for ((i = 0; i < $1; i++)); do
                args+=(--profile "ID=p$i")
        done
        "$zuki" build --stub "$stub" --linux "$linux" --no-os-release --uname "" "${args[@]}" --output "$2"
}

if build "$fit" "$tmp/fit.efi" >/dev/null 2>"$tmp/stderr"; then
        ok "$fit profiles are built"
        sections=$("$zuki" inspect --json "$tmp/fit.efi" | /usr/bin/python3 -c 'import json, sys; print(len(json.load(sys.stdin)["pe"]["sections"]))')
        [[ $sections == "$room" ]] && ok "the UKI fills the room ($sections sections)" ||
                bad "the UKI has $sections sections, the room is $room"
else
        bad "$fit profiles are refused: $(cat "$tmp/stderr")"
fi

build $((fit + 1)) "$tmp/over.efi" >/dev/null 2>"$tmp/stderr"
rc=$?
want="The stub has room for $room section headers; this UKI needs $((room + 1))"
if [[ $rc -ne 0 && $(wc -l <"$tmp/stderr") -eq 1 ]] && grep -Fq "zuki: $want" "$tmp/stderr" &&
        [[ ! -e $tmp/over.efi ]] && ! compgen -G "$tmp/*zuki-tmp*" >/dev/null; then
        ok "$((fit + 1)) profiles are refused: $(cat "$tmp/stderr")"
else
        bad "$((fit + 1)) profiles: exit $rc, output $([[ -e $tmp/over.efi ]] && echo written || echo none), stderr: $(cat "$tmp/stderr")"
fi

# The fitting UKI claiming one section more than its header area holds.
if [[ -e $tmp/fit.efi ]]; then
        cp "$tmp/fit.efi" "$tmp/claims.efi"
        /usr/bin/python3 - "$tmp/claims.efi" <<'EOF'
import struct, sys
f = open(sys.argv[1], "r+b")
data = f.read()
pe = struct.unpack_from("<I", data, 0x3c)[0]
count = struct.unpack_from("<H", data, pe + 6)[0]
f.seek(pe + 6)
f.write(struct.pack("<H", count + 1))
EOF
        "$zuki" inspect "$tmp/claims.efi" >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        if [[ $rc -ne 0 && $(wc -l <"$tmp/stderr") -eq 1 && ! -s $tmp/stdout ]] && grep -Fq "zuki: $want" "$tmp/stderr"; then
                ok "inspect: $(cat "$tmp/stderr")"
        else
                bad "inspect of a UKI with $((room + 1)) section headers: exit $rc, stderr: $(cat "$tmp/stderr")"
        fi
fi
summary
