# shellcheck shell=bash disable=SC2154 # $zuki and $tmp belong to the sourcing script
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Helpers the test/sign scripts share (after test/lib/common.sh; they need $zuki and $tmp):
#   check NAME CMD...          the command must succeed (ok/bad with its last lines)
#   check_not NAME CMD...      the command must fail
#   verify_rc RC NAME ARGS...  `zuki verify ARGS` must exit RC; its stdout/stderr stay in $tmp/out, $tmp/err
#   selfsigned NAME CN         NAME.key and a self-signed NAME.crt (RSA 2048, SHA-256), made by openssl
#   tamper_section IN OUT [SECTION]  OUT is IN with one bit of SECTION (default .linux) flipped in
#                              its middle; the section is found by pefile, not by zuki
#   certificate_entries IMAGE  "OFFSET LENGTH" per WIN_CERTIFICATE, as an independent parser reads them
#   certificate_der IMAGE N    the PKCS#7 of entry N (from 1), DER, on stdout

check() {
        local name=$1
        shift
        if "$@" >"$tmp/out" 2>&1; then ok "$name"; else bad "$name: $(tail -n 3 "$tmp/out")"; fi
}
check_not() {
        local name=$1
        shift
        if "$@" >"$tmp/out" 2>&1; then bad "$name: succeeded: $(tail -n 3 "$tmp/out")"; else ok "$name"; fi
}
verify_rc() {
        local want=$1 name=$2
        shift 2
        "$zuki" verify "$@" >"$tmp/out" 2>"$tmp/err"
        local rc=$?
        if [[ $rc -eq $want ]]; then ok "$name (exit $rc${want:+: $(head -c 160 "$tmp/err")})"; else
                bad "$name: exit $rc, wanted $want: $(cat "$tmp/out" "$tmp/err" | tail -n 3)"; fi
}
selfsigned() {
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.crt" -subj "/CN=$2/" -days 3650 \
                -sha256 2>/dev/null || fail "openssl cannot make a key"
}
tamper_section() {
        "$ZUKI_SYSTEM_PYTHON" - "$@" <<'PY'
import sys, pefile
src, dst = sys.argv[1:3]
name = (sys.argv[3] if len(sys.argv) > 3 else ".linux").encode()
data = bytearray(open(src, "rb").read())
pe = pefile.PE(data=bytes(data), fast_load=True)
section = next(s for s in pe.sections if s.Name.rstrip(b"\0") == name)
data[section.PointerToRawData + min(section.Misc_VirtualSize, section.SizeOfRawData) // 2] ^= 0x20
open(dst, "wb").write(data)
PY
}
_certificate_table() {
        "$ZUKI_SYSTEM_PYTHON" - "$@" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", b, 0x3c)[0]
magic = struct.unpack_from("<H", b, pe + 24)[0]
off, size = struct.unpack_from("<II", b, pe + 24 + (112 if magic == 0x20b else 96) + 8 * 4)
entries, pos = [], off
while pos + 8 < off + size:
    length = struct.unpack_from("<I", b, pos)[0]
    if length <= 8:
        break
    entries.append((pos, length))
    pos += (length + 7) & ~7
if len(sys.argv) > 2:
    pos, length = entries[int(sys.argv[2]) - 1]
    sys.stdout.buffer.write(b[pos + 8:pos + length])
else:
    for pos, length in entries:
        print(pos, length)
PY
}
certificate_entries() { _certificate_table "$1"; }
certificate_der() { _certificate_table "$1" "$2"; }
