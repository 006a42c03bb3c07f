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
echo PASS
