#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# .hwids and .dtbauto as ukify 262 makes them, and the .dtbauto measurement zuki predicts:
#  1. ukify 262 --hwids DIR --devicetree-auto a.dtb --devicetree-auto b.dtb, once with
#     systemd-stub 262 and once with the zuki stub, and zuki build with the same inputs: the
#     .hwids and .dtbauto sections are byte for byte the same (DIR: systemd's shipped aa64
#     database plus test/ukify/hwids, whose CHIDs fwupd computed for a made-up machine).
#  2. zuki measure of ukify's UKI with that machine's SMBIOS table (--smbios-file) predicts the
#     PCR 11 that systemd-measure 262 calculates with the .dtbauto the machine selects (b.dtb,
#     compatible "qemu,zuki-dtbauto-test") and the .hwids; without the table, or with another
#     machine's, the value systemd-measure gives without any .dtbauto.
#  2b. The same with a display EDID (--edid, the EDID CHIDs of systemd 258): an entry listing
#     only the machine's type 16 CHID with that panel wins over the SMBIOS one.
#  3. Signed: ukify 262 (zuki stub, sid's systemd-measure) and zuki build, both with
#     --pcr-private-key, --pcr-banks sha256,sha512 and the two .dtbauto, write the same .pcrsig: one policy per .dtbauto and
#     phase, RSA signatures equal; zuki check-policy accepts ukify's UKI.
#   test-ukify262-hwids.sh ZUKI_STUB_AA64 KERNEL_ARM64
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki_stub=$(realpath "$1") kernel=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
load_assets
[[ -n ${ZUKI_UKIFY262:-} && -e ${ZUKI_UKIFY262:-} ]] || skip "no ukify 262 (ZUKI_UKIFY262; run tools/setup.sh)"
[[ -n ${ZUKI_SYSTEMD262_STUB_AA64:-} && -e ${ZUKI_SYSTEMD262_STUB_AA64:-} ]] || skip "no systemd-stub 262 for arm64"
[[ -n ${ZUKI_SYSTEMD_MEASURE262:-} && -x ${ZUKI_SYSTEMD_MEASURE262:-} ]] || skip "no systemd-measure 262"
db=$(dirname "$ZUKI_UKIFY262")/../lib/systemd/boot/hwids/aa64
[[ -d $db ]] || skip "ukify 262 ships no hwids database at $db"
command -v dtc >/dev/null || skip "no dtc"
make_tmp
cd "$tmp" || exit 1
# save_sections UKI PREFIX: the UKI's .dtbauto sections as PREFIX.dtbauto0, 1, ... and its other
# measured sections (and .pcrsig) as PREFIX.linux, PREFIX.osrel, ...
save_sections() {
        "$ZUKI_PYTHON" - "$1" "$2" <<'PY' || fail "extracting $1's sections"
import pefile, sys
pe = pefile.PE(sys.argv[1], fast_load=True)
n = 0
for s in pe.sections:
    name = s.Name.rstrip(b"\0").decode()
    data = s.get_data()[:s.Misc_VirtualSize]
    if name == ".dtbauto":
        open(f"{sys.argv[2]}.dtbauto{n}", "wb").write(data)
        n += 1
    elif name in (".linux", ".osrel", ".cmdline", ".uname", ".sbat", ".pcrpkey", ".hwids", ".pcrsig"):
        open(sys.argv[2] + name, "wb").write(data)
PY
}

mkdir hwids
cp "$db"/*.json "$here"/hwids/*.json hwids/
printf '/dts-v1/;\n/ { compatible = "lenovo,thinkpad-x13s", "qcom,sc8280xp"; model = "A"; };\n' >a.dts
printf '/dts-v1/;\n/ { compatible = "qemu,zuki-dtbauto-test", "linux,dummy-virt"; model = "B"; };\n' >b.dts
dtc -q -O dtb -o a.dtb a.dts && dtc -q -O dtb -o b.dtb b.dts || fail "dtc failed"
echo 6.1.0-test >uname

common=(--linux "$kernel" --uname 6.1.0-test --os-release "ID=zuki-test" --hwids hwids
        --devicetree-auto a.dtb --devicetree-auto b.dtb)
"$ZUKI_PYTHON" "$ZUKI_UKIFY262" build "${common[@]}" --stub "$ZUKI_SYSTEMD262_STUB_AA64" --output sd.efi \
        >/dev/null 2>ukify.err || { cat ukify.err; fail "ukify 262 with systemd-stub failed"; }
"$ZUKI_PYTHON" "$ZUKI_UKIFY262" build "${common[@]}" --stub "$zuki_stub" --output uk.efi \
        >/dev/null 2>ukify.err || { cat ukify.err; fail "ukify 262 with the zuki stub failed"; }
"$ZUKI_BIN" build --stub "$zuki_stub" --linux "$kernel" --no-compress --uname 6.1.0-test \
        --os-release "ID=zuki-test" --hwids hwids --dtbauto a.dtb --dtbauto b.dtb --output zk.efi >/dev/null ||
        fail "zuki build failed"

# Every measured section of ukify's UKI as a file (.dtbauto: the second, b.dtb, the one the
# machine selects), and the .hwids/.dtbauto of all three UKIs compared.
"$ZUKI_PYTHON" - sd.efi uk.efi zk.efi <<'PY' || fail ".hwids/.dtbauto differ"
import pefile, sys
def sections(path):
    pe = pefile.PE(path, fast_load=True)
    return [(s.Name.rstrip(b"\0").decode(), s.get_data()[:s.Misc_VirtualSize]) for s in pe.sections]
got = {p: [(n, d) for n, d in sections(p) if n in (".hwids", ".dtbauto")] for p in sys.argv[1:]}
ref = got["sd.efi"]
names = [n for n, _ in ref]
print("ukify 262 with systemd-stub 262:", names, "hwids", len(dict(ref)[".hwids"]), "bytes")
ok = names == [".dtbauto", ".dtbauto", ".hwids"]
for p in sys.argv[2:]:
    same = got[p] == ref
    print(("ok" if same else "FAIL") + f": {p} has the same .hwids and .dtbauto bytes")
    ok = ok and same
for n, d in sections("sd.efi"):
    if n in (".linux", ".osrel", ".cmdline", ".uname", ".sbat", ".hwids"):
        open("sec" + n, "wb").write(d)
open("sec.dtbauto", "wb").write([d for n, d in ref if n == ".dtbauto"][1])
sys.exit(0 if ok else 1)
PY

sd_args=()
for s in linux osrel cmdline uname sbat hwids; do
        [[ -e sec.$s ]] && sd_args+=("--$s=sec.$s")
done
"$ZUKI_SYSTEMD_MEASURE262" calculate "${sd_args[@]}" --dtbauto=sec.dtbauto --bank=sha256 --phase=: --json=short \
        >sd-match.json || fail "systemd-measure 262 (with .dtbauto) failed"
"$ZUKI_SYSTEMD_MEASURE262" calculate "${sd_args[@]}" --bank=sha256 --phase=: --json=short \
        >sd-none.json || fail "systemd-measure 262 (without .dtbauto) failed"
"$ZUKI_PYTHON" "$here/../lib/make-smbios.py" acme.smbios "Acme Corp" "Widget 3000" "Widget Family" SKU-77 \
        "Acme Boards" WB-1
"$ZUKI_PYTHON" "$here/../lib/make-smbios.py" other.smbios "Other Corp" "Gadget" "Gadget Family" SKU-1 \
        "Other Boards" GB-1
"$ZUKI_BIN" measure --phase=: --json=short --smbios-file acme.smbios sd.efi >zk-match.json 2>zk.err ||
        fail "zuki measure --smbios-file failed: $(cat zk.err)"
"$ZUKI_BIN" measure --phase=: --json=short sd.efi >zk-none.json || fail "zuki measure failed"
"$ZUKI_BIN" measure --phase=: --json=short --smbios-file other.smbios sd.efi >zk-other.json 2>zk-other.err ||
        fail "zuki measure (another machine) failed"
grep -q "HWID matching failed" zk-other.err || fail "no line for a machine the .hwids does not list: $(cat zk-other.err)"
"$ZUKI_PYTHON" - <<'PY' || fail "PCR 11 predictions"
import json
v = {n: json.load(open(n + ".json"))["sha256"][0]["hash"] for n in
     ("sd-match", "sd-none", "zk-match", "zk-none", "zk-other")}
checks = [
    (v["sd-match"] != v["sd-none"], "a .dtbauto changes PCR 11"),
    (v["zk-match"] == v["sd-match"], "zuki measure --smbios-file (the test machine) = systemd-measure 262 with b.dtb"),
    (v["zk-none"] == v["sd-none"], "zuki measure without a machine = systemd-measure 262 without .dtbauto"),
    (v["zk-other"] == v["sd-none"], "zuki measure for another machine = systemd-measure 262 without .dtbauto"),
]
for ok, what in checks:
    print(("ok" if ok else "FAIL") + ": " + what)
raise SystemExit(0 if all(ok for ok, _ in checks) else 1)
PY
# 2b. The EDID CHIDs (systemd 258): the parity case's entry for this machine with the panel
# "ZKI2026" (its CHID computed outside zuki, see test/qemu/parity/edid-chain.cpp) and a third
# .dtbauto for it. With that display's EDID, zuki measure predicts the .dtbauto systemd-measure 262
# measures for c.dtb; without it, still b.dtb. zuki chid lists the entry's CHID as type 16.
panel_json=$here/../qemu/parity/cases/extras/EFI/BOOT/BOOTX64.EFI.extra.d/per-uki.addon.efi.src/hwids/zuki-acme-widget-panel.json
mkdir hwids-edid && cp hwids/*.json "$panel_json" hwids-edid/ || fail "copying the hwids"
printf '/dts-v1/;\n/ { compatible = "qemu,zuki-edid-test", "linux,dummy-virt"; model = "C"; };\n' >c.dts
dtc -q -O dtb -o c.dtb c.dts || fail "dtc failed"
# A 128-byte EDID base block: header, manufacturer "ZKI" (0x69 0x69), product code 0x2026.
{ printf '\x00\xff\xff\xff\xff\xff\xff\x00\x69\x69\x26\x20'; head -c 116 /dev/zero; } >zki.edid
"$ZUKI_PYTHON" "$ZUKI_UKIFY262" build --linux "$kernel" --uname 6.1.0-test --os-release "ID=zuki-test" \
        --hwids hwids-edid --devicetree-auto a.dtb --devicetree-auto b.dtb --devicetree-auto c.dtb \
        --stub "$ZUKI_SYSTEMD262_STUB_AA64" --output sd-edid.efi >/dev/null 2>ukify.err ||
        { cat ukify.err; fail "ukify 262 with the EDID entry failed"; }
save_sections sd-edid.efi edid
edid_args=()
for s in linux osrel cmdline uname sbat hwids; do
        [[ -e edid.$s ]] && edid_args+=("--$s=edid.$s")
done
for n in 1 2; do
        "$ZUKI_SYSTEMD_MEASURE262" calculate "${edid_args[@]}" "--dtbauto=edid.dtbauto$n" --bank=sha256 --phase=: \
                --json=short >"sd-edid$n.json" || fail "systemd-measure 262 (.dtbauto $n) failed"
done
"$ZUKI_BIN" measure --phase=: --json=short --smbios-file acme.smbios --edid zki.edid sd-edid.efi >zk-edid.json ||
        fail "zuki measure --edid failed"
"$ZUKI_BIN" measure --phase=: --json=short --smbios-file acme.smbios sd-edid.efi >zk-noedid.json ||
        fail "zuki measure (no EDID) failed"
"$ZUKI_BIN" measure --phase=: --json=short --edid zki.edid sd-edid.efi >/dev/null 2>bad.err &&
        fail "zuki measure took --edid without --smbios-file"
grep -q -- "--edid goes with --smbios-file" bad.err || fail "no clear error for --edid alone: $(cat bad.err)"
"$ZUKI_BIN" measure --phase=: --json=short --smbios-file acme.smbios --edid acme.smbios sd-edid.efi >/dev/null 2>bad.err &&
        fail "zuki measure took an SMBIOS table as an EDID"
grep -q "not an EDID" bad.err || fail "no clear error for a file that is not an EDID: $(cat bad.err)"
# Through a pipe: like a DRM connector's sysfs edid, it reports no size, and must be read to its end.
"$ZUKI_BIN" chid --smbios-file acme.smbios --edid <(cat zki.edid) >chid.out 2>chid.err || fail "zuki chid --edid failed"
want=$(sed -n 's/^ *"\([0-9a-f-]\{36\}\)"$/\1/p' "$panel_json")
grep -qx "16 MF---------E $want" chid.out || fail "zuki chid does not list $want as type 16: $(cat chid.out)"
grep -q "EDID panel ZKI2026" chid.err || fail "zuki chid does not name the panel: $(cat chid.err)"
echo "ok: zuki chid --edid lists the entry's CHID $want as type 16 (panel ZKI2026)"
"$ZUKI_PYTHON" - <<'PY' || fail "PCR 11 predictions with an EDID"
import json
v = {n: json.load(open(n + ".json"))["sha256"][0]["hash"] for n in
     ("sd-edid1", "sd-edid2", "zk-edid", "zk-noedid")}
checks = [
    (v["sd-edid1"] != v["sd-edid2"], "the two .dtbauto give different PCR 11 values"),
    (v["zk-edid"] == v["sd-edid2"], "zuki measure --edid = systemd-measure 262 with c.dtb (the EDID entry)"),
    (v["zk-noedid"] == v["sd-edid1"], "zuki measure without the EDID = systemd-measure 262 with b.dtb"),
]
for ok, what in checks:
    print(("ok" if ok else "FAIL") + ": " + what)
raise SystemExit(0 if all(ok for ok, _ in checks) else 1)
PY
# 3. Signed policies, one per .dtbauto.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out pcr.key 2>/dev/null &&
        openssl pkey -in pcr.key -pubout -out pcr.pub || fail "openssl genpkey failed"
mkdir sd-tools
ln -s "$ZUKI_SYSTEMD_MEASURE262" sd-tools/systemd-measure
# Two banks named: without --pcr-banks zuki signs sha256 only where systemd-measure takes all four
# (zuki(1)).
"$ZUKI_BIN" build --stub "$zuki_stub" --linux "$kernel" --no-compress --uname 6.1.0-test \
        --os-release "ID=zuki-test" --hwids hwids --dtbauto a.dtb --dtbauto b.dtb \
        --pcr-banks sha256,sha512 --pcr-private-key pcr.key --pcr-public-key pcr.pub --output zk-signed.efi >/dev/null 2>zk.err ||
        fail "zuki build --pcr-private-key with two --dtbauto failed: $(cat zk.err)"
# What ukify 262 does with these sections (its sign loop): systemd-measure 262 sign once per
# .dtbauto with all other measured sections, the entries combined without repeats.
save_sections zk-signed.efi zk
zk_args=()
for s in linux osrel cmdline uname sbat pcrpkey hwids; do
        [[ -e zk.$s ]] && zk_args+=("--$s=zk.$s")
done
for d in zk.dtbauto0 zk.dtbauto1; do
        "$ZUKI_SYSTEMD_MEASURE262" sign "${zk_args[@]}" "--dtbauto=$d" --bank=sha256 --bank=sha512 \
                --private-key=pcr.key --public-key=pcr.pub >"$d.sig.json" || fail "systemd-measure 262 sign ($d) failed"
done
"$ZUKI_PYTHON" - <<'PY' || fail "zuki build's .pcrsig is not what ukify 262 signs"
import json
combined = {}
for d in ("zk.dtbauto0", "zk.dtbauto1"):
    for bank, sigs in json.load(open(d + ".sig.json")).items():
        combined.setdefault(bank, [])
        combined[bank] += [s for s in sigs if s not in combined[bank]]
zk = json.loads(open("zk.pcrsig", "rb").read().rstrip(b"\0 "))
n = {b: len(v) for b, v in combined.items()}
print("systemd-measure 262, once per .dtbauto:", n, "entries")
checks = [
    (all(v == 8 for v in n.values()), "two .dtbauto x four phase paths per bank"),
    (zk == combined, "zuki build's .pcrsig = systemd-measure 262's entries (policies, order, signatures)"),
]
for ok, what in checks:
    print(("ok" if ok else "FAIL") + ": " + what)
raise SystemExit(0 if all(ok for ok, _ in checks) else 1)
PY
# ukify 262's own signed UKI (the zuki stub): zuki check-policy finds every entry reachable.
"$ZUKI_PYTHON" "$ZUKI_UKIFY262" build "${common[@]}" --stub "$zuki_stub" --tools sd-tools \
        --pcr-private-key pcr.key --pcr-public-key pcr.pub --output uk-signed.efi >/dev/null 2>ukify.err ||
        { cat ukify.err; fail "ukify 262 --pcr-private-key failed"; }
grep -q "sd-tools/systemd-measure sign.*--dtbauto=" ukify.err || fail "ukify did not sign per .dtbauto: $(grep -- '+ ' ukify.err)"
"$ZUKI_BIN" check-policy uk-signed.efi >check.out 2>&1 || fail "zuki check-policy refuses ukify 262's signed UKI: $(cat check.out)"
echo "ok: zuki check-policy accepts ukify 262's UKI signed per .dtbauto"
echo PASS
