# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers shared by the eco tests (sourced).

# zuki_guest_cpio ZUKI HOOK OUT: an uncompressed newc archive holding /zuki-hook.sh (sourced by
# the test initrd's /init before "done"), the zuki binary as /bin/zuki and the shared libraries it
# needs at the paths ldd reports, so `zuki status` runs inside the busybox guest.
zuki_guest_cpio() {
        local zuki=$1 hook=$2 out=$3 stage lib
        stage=$(mktemp -d)
        mkdir -p "$stage/bin"
        install -m 0755 "$zuki" "$stage/bin/zuki"
        install -m 0644 "$hook" "$stage/zuki-hook.sh"
        for lib in $(ldd "$zuki" | grep -o '/[^ ]*'); do
                mkdir -p "$stage$(dirname "$lib")"
                cp -L "$lib" "$stage$lib"
        done
        (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
        rm -rf "$stage"
}

# One line of JSON from `zuki status --json` in the guest, as "ZUKI-GUEST: status {...}".
zuki_status_hook() {
        cat >"$1" <<'HOOK'
echo "ZUKI-GUEST: status $(zuki status --json 2>/tmp/status.err | tr -d '\n')"
[ -s /tmp/status.err ] && echo "ZUKI-GUEST: status-stderr $(tr '\n' ' ' </tmp/status.err)"
HOOK
}

# PCR 11 as systemd-stub measures a UKI, computed here from the UKI with pefile (independent of
# zuki): for every present section in systemd's canonical order (uki.h), .pcrsig excepted, extend
# SHA-256(name with its NUL) and SHA-256(data, VirtualSize bytes).
independent_pcr11() {
        /usr/bin/python3 - "$1" <<'PY'
import hashlib, sys
import pefile
order = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat",
         ".pcrsig", ".pcrpkey", ".profile", ".dtbauto", ".hwids", ".efifw"]
pe = pefile.PE(sys.argv[1], fast_load=True)
sections = {s.Name.rstrip(b"\0").decode(): s for s in pe.sections}
pcr = bytes(32)
ext = lambda pcr, data: hashlib.sha256(pcr + hashlib.sha256(data).digest()).digest()
for name in order:
    if name == ".pcrsig" or name not in sections:
        continue
    s = sections[name]
    pcr = ext(pcr, name.encode() + b"\0")
    pcr = ext(pcr, s.get_data(length=s.Misc_VirtualSize))
print(pcr.hex())
PY
}
