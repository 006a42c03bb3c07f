#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki status --root against the volumes a fake root configures and the firmware event log it
# holds. The UKI is made by zuki build (signed PCR policy, key1) and placed where the stub's
# StubImageIdentifier says; the LUKS2 headers come from cryptsetup with systemd-tpm2 tokens
# imported as test/policy/test-check-unlock.sh does (lib.sh luks_header_trusting); the event
# log and PCR files are written by write-event-log.py from the TCG spec, independently of zuki.
#   ok         /etc/crypttab: a volume (header=) whose token trusts key1: unlock ok, log consistent
#              with the PCRs (PCR 11 after enter-initrd), the stub's events match the prediction
#   wrongkey   crypttab by UUID= names a volume whose token trusts key2: "would fail", naming
#              both key fingerprints, though the UKI's own .pcrsig matches PCR 11; one warning
#   cmdline    no crypttab; rd.luks.uuid= on /proc/cmdline names the same volume: "would fail"
#   novolume   nothing configured: judged on the UKI's .pcrsig alone, and the report says so
#   logonly    the log's .cmdline content digest differs from the TPM's: that event is named
#              (PCR 11, EV_IPL, ".cmdline", expected vs found) and PCR 11 is reported inconsistent
#   booted     the TPM got the other .cmdline digest too (another UKI booted): the signed policy
#              no longer holds, "would fail", and the warning names the .cmdline event
#   livediff   PCR 7 differs from the log's replay: reported
#   kexec      /proc/sys/kernel/osrelease is not the booted UKI's .uname (read with pefile): the
#              kernel was started by kexec, which the report and the would-fail warning say ("ok"
#              has the UKI's own release: kexec false)
#   test-status-eventlog.sh ZUKI STUB KERNEL
set -uo pipefail
zuki=$(realpath "$1") stub=$(realpath "$2") kernel=$(realpath "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
command -v cryptsetup >/dev/null || { echo "SKIP: cryptsetup not installed"; exit 77; }
tmp=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
failures=0

for k in key1 key2; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k.pem 2>/dev/null
        openssl pkey -in $k.pem -pubout -out $k.pub
done
# systemd's pkfp: SHA-256 of the PKCS#1 RSAPublicKey DER; status shows 16 hex digits of it.
fp() { openssl rsa -pubin -in "$1" -RSAPublicKey_out -outform DER 2>/dev/null | sha256sum | cut -c1-16; }
fp1=$(fp key1.pub) fp2=$(fp key2.pub)
printf 'ID=zuki-test\n' >os-release
"$zuki" build --stub "$stub" --linux "$kernel" --no-compress --cmdline "console=ttyS0" --os-release @os-release \
        --pcr-private-key key1.pem --pcr-public-key key1.pub --output uki.efi >/dev/null || { echo "FAIL: zuki build"; exit 1; }

for k in key1 key2; do
        luks_header_trusting $k.pub luks-$k.img || { echo "FAIL: making the LUKS2 header"; exit 1; }
done
uuid2=$(cryptsetup luksUUID luks-key2.img)

# make_root DIR WRITER-ARGS...: efivars, the UKI on the ESP, /.extra, the event log and PCRs.
make_root() {
        local root=$1
        shift
        mkdir -p "$root/efi/EFI/Linux" "$root/etc" "$root/dev/disk/by-uuid" "$root/proc"
        cp uki.efi "$root/efi/EFI/Linux/test.efi"
        cp luks-key1.img luks-key2.img "$root/"
        ln -s ../../../luks-key2.img "$root/dev/disk/by-uuid/$uuid2"
        : >"$root/proc/cmdline"
        /usr/bin/python3 - "$root" <<'PY' || return 1
import os, struct, sys
import pefile
root = sys.argv[1]
loader = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
d = f"{root}/sys/firmware/efi/efivars"
os.makedirs(d, exist_ok=True)
u16 = lambda s: (s + "\0").encode("utf-16-le")
for name, value in [("StubInfo", "zuki 0.1.0"), ("StubProfile", "0"), ("StubImageIdentifier", "\\EFI\\Linux\\test.efi")]:
    open(f"{d}/{name}-{loader}", "wb").write(struct.pack("<I", 6) + u16(value))
# What the stub hands to userspace in /.extra: the .pcrsig and .pcrpkey sections.
os.makedirs(f"{root}/.extra", exist_ok=True)
pe = pefile.PE(f"{root}/efi/EFI/Linux/test.efi", fast_load=True)
for s in pe.sections:
    name = s.Name.rstrip(b"\0").decode()
    out = {".pcrsig": "tpm2-pcr-signature.json", ".pcrpkey": "tpm2-pcr-public-key.pem"}.get(name)
    if out:
        open(f"{root}/.extra/{out}", "wb").write(s.get_data()[: s.Misc_VirtualSize].rstrip(b"\0"))
PY
        /usr/bin/python3 "$here/write-event-log.py" uki.efi "$root" --phase enter-initrd "$@" >"$root.events" ||
                return 1
}

# run CASE: status --json and text into CASE.json / CASE.txt / CASE.err
run() {
        JOURNAL_STREAM=8:1 "$zuki" status --json --root "$tmp/$1" >"$1.json" 2>"$1.err" || { echo "FAIL: $1: zuki status"; return 1; }
        "$zuki" status --root "$tmp/$1" >"$1.txt" 2>/dev/null || { echo "FAIL: $1: zuki status (text)"; return 1; }
        sed 's/^/    /' "$1.txt" | grep -E 'event log|stub events|first differing|volume|TPM unlock'
        sed 's/^/    stderr: /' "$1.err"
}

# check CASE PYTHON-EXPRESSIONS...: each must hold for r (the JSON report), t (text), e (stderr).
check() {
        local case=$1
        shift
        /usr/bin/python3 - "$case" "$fp1" "$fp2" "$@" <<'PY' || { failures=$((failures + 1)); echo "FAIL: $case"; }
import json, sys
case, fp1, fp2 = sys.argv[1:4]
r = json.load(open(f"{case}.json"))
t = open(f"{case}.txt").read()
e = open(f"{case}.err").read()
events = {}
for line in open(f"{case}.events"):
    _, pcr, name, digest = line.split()
    events.setdefault(name, []).append(digest)
log, vols, u = r["event_log"], r["volumes"], r["unlock"]
bad = [x for x in sys.argv[4:] if not eval(x)]
for x in bad:
    print(f"  {case}: does not hold: {x}")
print(f"ok: {case} ({len(sys.argv) - 4} checks)" if not bad else f"  unlock={u} volumes={vols} log={ {k: log[k] for k in ('consistent', 'comparison', 'first_mismatch')} }")
sys.exit(1 if bad else 0)
PY
}

uki_uname=$(/usr/bin/python3 -c '
import sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
print(next(s.get_data()[: s.Misc_VirtualSize] for s in pe.sections if s.Name.rstrip(b"\0") == b".uname").decode().strip("\0\n"))' uki.efi)
[[ -n $uki_uname ]] || { echo "FAIL: the UKI has no .uname"; exit 1; }
make_root ok || exit 1
printf '# name device keyfile options\nroot /data.img none header=/luks-key1.img,tpm2-device=auto\n' >ok/etc/crypttab
mkdir -p ok/proc/sys/kernel && echo "$uki_uname" >ok/proc/sys/kernel/osrelease
run ok
check ok 'r["kernel"]["kexec"] is False' "r['kernel']['running'] == r['kernel']['uki_uname'] == '$uki_uname'" \
        '"kernel: '"$uki_uname"', as the booted UKI" in t'
check ok 'u["state"] == "ok"' 'u["basis"] == "volumes"' 'len(vols) == 1 and vols[0]["state"] == "ok"' \
        'vols[0]["answer"] == "unlocks"' 'log["consistent"] is True' \
        '[p["after_phases"] for p in log["pcrs"] if p["pcr"] == 11] == ["enter-initrd"]' \
        'log["comparison"] == "match"' 'log["first_mismatch"] is None' 'r["uki"]["path"].endswith("/efi/EFI/Linux/test.efi")' \
        'e == ""' '"TPM unlock: ok" in t' '"PCRs 0 4 7 11 (after enter-initrd) 12 agree with the TPM" in t'

make_root wrongkey || exit 1
printf 'root UUID=%s none tpm2-device=auto\n' "${uuid2^^}" >wrongkey/etc/crypttab
run wrongkey
check wrongkey 'u["state"] == "would-fail"' 'r["pcr11"]["unlock"] == "ok"' 'vols[0]["answer"] == "key-mismatch"' \
        'f"trusts key fingerprint {fp2}" in u["reason"] and f"signed by {fp1}" in u["reason"]' \
        'e.count("\n") == 1 and e.startswith("<4>zuki: warning: the next TPM2 unlock would fail: volume root")' \
        '"TPM unlock: would fail (volume root" in t' 'log["comparison"] == "match"'

make_root cmdline || exit 1
echo "BOOT_IMAGE=/vmlinuz root=/dev/mapper/root rd.luks.uuid=luks-$uuid2 quiet" >cmdline/proc/cmdline
run cmdline
check cmdline 'u["state"] == "would-fail"' 'len(vols) == 1 and vols[0]["source"] == "cmdline"' \
        'vols[0]["answer"] == "key-mismatch"' 'f"trusts key fingerprint {fp2}" in vols[0]["reason"]'

make_root novolume || exit 1
run novolume
check novolume 'u["state"] == "ok"' 'u["basis"] == "pcrsig"' 'vols == []' '"no configured volume" in u["note"]' \
        '"no configured volume has a systemd-tpm2 token" in t' 'e == ""'

make_root logonly --alter .cmdline || exit 1
printf 'root /data.img none header=/luks-key1.img\n' >logonly/etc/crypttab
run logonly
check logonly 'log["comparison"] == "mismatch"' 'log["first_mismatch"]["pcr"] == 11' \
        'log["first_mismatch"]["expected"]["type"] == "EV_IPL"' 'log["first_mismatch"]["found"]["description"] == ".cmdline"' \
        'log["first_mismatch"]["expected"]["digest"] == events[".cmdline"][1]' \
        'log["first_mismatch"]["found"]["digest"] != events[".cmdline"][1]' \
        '[p["consistent"] for p in log["pcrs"] if p["pcr"] == 11] == [False]' \
        '"first differing event: PCR 11 event 6 (log event 10) EV_IPL \".cmdline\": expected " + events[".cmdline"][1] in t' \
        '"does not match the TPM: PCR 11 replays to" in t' 'u["state"] == "ok"'

make_root booted --alter .cmdline --tpm-too || exit 1
printf 'root /data.img none header=/luks-key1.img\n' >booted/etc/crypttab
run booted
check booted 'u["state"] == "would-fail"' 'r["pcr11"]["unlock"] == "would-fail"' 'log["consistent"] is True' \
        'u["first_mismatch"]["found"]["description"] == ".cmdline"' \
        '"first differing event: PCR 11 event 6 (log event 10) EV_IPL \".cmdline\"" in e'

make_root livediff --live-differs 7 || exit 1
run livediff
check livediff 'log["consistent"] is False' '[p["consistent"] for p in log["pcrs"] if p["pcr"] == 7] == [False]' \
        '[p["consistent"] for p in log["pcrs"] if p["pcr"] != 7] == [True] * 4' '"does not match the TPM: PCR 7 replays to" in t'

# kexec: another kernel runs than the UKI the firmware booted; PCR 11 no longer matches (as after a
# real kexec, where the PCRs carry the first boot's measurements and phases).
make_root kexec --alter .cmdline --tpm-too || exit 1
printf 'root /data.img none header=/luks-key1.img\n' >kexec/etc/crypttab
mkdir -p kexec/proc/sys/kernel && echo 9.9.9-kexeced >kexec/proc/sys/kernel/osrelease
run kexec
check kexec 'r["kernel"]["kexec"] is True' "r['kernel']['uki_uname'] == '$uki_uname'" \
        '"the running kernel 9.9.9-kexeced is not the booted UKI" in t' 'u["state"] == "would-fail"' \
        '"started by kexec" in e and e.count("\n") == 1'
# The same with PCR 11 as the event log says and the volume's signed policy valid for the booted
# UKI (what the report found in the kexec'd boot of test/lifecycle): the unlock still would fail.
make_root kexecok || exit 1
printf 'root /data.img none header=/luks-key1.img\n' >kexecok/etc/crypttab
mkdir -p kexecok/proc/sys/kernel && echo 9.9.9-kexeced >kexecok/proc/sys/kernel/osrelease
run kexecok
check kexecok 'vols[0]["state"] == "ok"' 'u["state"] == "would-fail"' '"started by kexec" in u["reason"]' \
        'e.count("\n") == 1 and "started by kexec" in e' '"TPM unlock: would fail (the running kernel 9.9.9-kexeced" in t'

# loader: systemd-boot 252 passed the options it shows (the .cmdline) and measured them into PCR 12
# after loading the UKI, before starting it; the stub measured them again (seen in the bookworm guest).
# Only the second is the stub's: the comparison matches, with one PCR 12 event for the stub.
make_root loader --loader-options "root=/dev/mapper/root quiet" || exit 1
run loader
check loader 'log["comparison"] == "match"' 'log["first_mismatch"] is None' \
        'log["stub_events"] == log["expected_events"] == sum(len(v) for v in events.values()) + 1' 'log["consistent"] is True'

# Boot counting: the stub reported \EFI\Linux\test+1-1.efi (systemd-boot renames before starting it),
# systemd-bless-boot has since renamed it to test.efi; a bad one stays test+0-2.efi.
set_image_id() { # ROOT ID
        /usr/bin/python3 -c 'import struct, sys; open(sys.argv[1], "wb").write(struct.pack("<I", 6) + (sys.argv[2] + "\0").encode("utf-16-le"))' \
                "$1/sys/firmware/efi/efivars/StubImageIdentifier-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f" "$2"
}
make_root blessed || exit 1
set_image_id blessed '\EFI\Linux\test+1-1.efi'
run blessed
check blessed 'log["comparison"] == "match"' 'r["uki"]["path"].endswith("/efi/EFI/Linux/test.efi")'
make_root badcount || exit 1
mv badcount/efi/EFI/Linux/test.efi badcount/efi/EFI/Linux/test+0-2.efi
cp uki.efi badcount/efi/EFI/Linux/other+3.efi
set_image_id badcount '\EFI\Linux\test+1-1.efi'
run badcount
check badcount 'log["comparison"] == "match"' 'r["uki"]["path"].endswith("/efi/EFI/Linux/test+0-2.efi")'
make_root gone || exit 1
mv gone/efi/EFI/Linux/test.efi gone/efi/EFI/Linux/test2+1.efi
set_image_id gone '\EFI\Linux\test+1-1.efi'
run gone
check gone '"is not at" in log["comparison"] and "nor under another boot counter" in log["comparison"]'

# A log that is not one: reported, not fatal.
make_root broken || exit 1
truncate -s 100 broken/sys/kernel/security/tpm0/binary_bios_measurements
run broken
check broken 'log["error"] is not None and "offset" in log["error"]' 'log["comparison"] == "the event log does not parse"'

[[ $failures -eq 0 ]] && echo PASS
