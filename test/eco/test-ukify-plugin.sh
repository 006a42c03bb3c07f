#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki-ukify against a distribution's ukify (257 or 262) and against ukifys it must refuse.
#   test-ukify-plugin.sh ZUKI_UKIFY_PLUGIN KERNEL [UKIFY_ASSET]
# UKIFY_ASSET names the ukify in assets.env: ZUKI_UKIFY (trixie's 257, the default) or
# ZUKI_UKIFY262 (sid's 262).
# Environment: ZUKI_BIN, ZUKI_STUB_DIR, ZUKI_UKIFY_TOOLS (build tree), ZUKI_CACHE.
#
# 1. That ukify through the plugin: the UKI's code sections are the zuki stub's, .linux is a zstd
#    zboot image, .sbat has no repeated line, and ukify's own inspect reads .uname (the release
#    from the Debian package name, not from zuki).
# 2. The systemd-measure shim gives systemd-measure 252's JSON where 252 can answer; with only
#    --pcr-private-key, .pcrpkey comes from the systemd-keyutil shim and .pcrsig from zuki measure.
# 3. Changed ukifys (a version outside 257-262, a hooked function with other parameters, a hooked function
#    gone, a caller that no longer calls the hooked function, a UKIConfig field renamed, a ukify
#    that silently uses another stub): one "zuki-ukify: error:" line (the last on stderr), exit
#    status 1, no output file. A version inside 257-262 other than the real one is accepted.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
plugin=$1 kernel=$2 ukify_asset=${3:-ZUKI_UKIFY}
load_assets
case $ukify_asset in
ZUKI_UKIFY) sd_stub_asset=ZUKI_SYSTEMD_STUB_X64 ;;
ZUKI_UKIFY262) sd_stub_asset=ZUKI_SYSTEMD262_STUB_X64 ;;
*) fail "unknown ukify asset $ukify_asset (want ZUKI_UKIFY or ZUKI_UKIFY262)" ;;
esac
need_asset "$ukify_asset" "$ukify_asset"
ukify=${!ukify_asset}
sd_stub=${!sd_stub_asset:-}
make_tmp
export ZUKI_UKIFY=$ukify

echo "== ukify $("$ZUKI_PYTHON" "$ukify" --version) through zuki-ukify"
"$plugin" build --linux "$kernel" --cmdline "console=ttyS0" --output "$tmp/uki.efi" 2>"$tmp/err" ||
        { cat "$tmp/err"; fail "zuki-ukify build failed"; }
grep -E '^zuki-ukify:' "$tmp/err"
"$ZUKI_BIN" inspect --json "$tmp/uki.efi" >"$tmp/uki.json" || fail "zuki inspect of the UKI failed"
"$ZUKI_BIN" inspect --json "$ZUKI_STUB_DIR/zukix64.efi.stub" >"$tmp/stub.json" || fail "zuki inspect of the stub failed"
"$ZUKI_PYTHON" "$ukify" inspect "$tmp/uki.efi" --section .sbat:text --section .uname:text --json=short >"$tmp/ukify.json" ||
        fail "ukify inspect failed"
"$ZUKI_BIN" extract --section .sbat --output "$tmp/sbat.bin" "$tmp/uki.efi" >/dev/null || fail "zuki extract .sbat failed"
"$ZUKI_PYTHON" - "$tmp/uki.json" "$tmp/stub.json" "$tmp/ukify.json" "$ZUKI_KERNEL_BOOKWORM_AMD64_RELEASE" \
        "$ukify" "$ZUKI_STUB_DIR/zukix64.efi.stub" "$tmp/sbat.bin" <<'PY' || fail "UKI content"
import importlib.machinery, importlib.util, json, sys
from pathlib import Path
uki, stub, ukify = (json.load(open(p)) for p in sys.argv[1:4])
release = sys.argv[4]
# ukify's own merge_sbat, for the text's ending (257: "\n\0", 262: "\n").
loader = importlib.machinery.SourceFileLoader('ukify', sys.argv[5])
module = importlib.util.module_from_spec(importlib.util.spec_from_loader('ukify', loader))
sys.modules['ukify'] = module
loader.exec_module(module)
own_sbat = module.merge_sbat([Path(sys.argv[6])], [])
ok = True
def check(what, cond):
    global ok
    print(("ok: " if cond else "FAIL: ") + what)
    ok &= cond
have = {s["name"]: s["sha256"] for s in uki["pe"]["sections"]}
for s in stub["pe"]["sections"]:
    if s["name"] != ".sbat":
        check(f"stub section {s['name']} is the zuki stub's", have.get(s["name"]) == s["sha256"])
check(".linux is a zstd zboot image", uki.get("linux") == {"type": "zboot", "codec": "zstd"})
sbat = ukify[".sbat"]["text"].rstrip("\0").splitlines()
check(f".sbat lines are unique ({len(sbat)})", len(sbat) == len(set(sbat)))
check(".sbat names zuki", any(l.startswith("zuki,") for l in sbat))
# The section as written (ukify inspect drops a trailing NUL).
raw_sbat = open(sys.argv[7], "rb").read().decode()
end = lambda t: repr(t[-2:] if t.endswith("\0") else t[-1:])
check(f".sbat ends as ukify's own merge_sbat ends it ({end(own_sbat)})", end(raw_sbat) == end(own_sbat))
check(f".uname (ukify inspect) is {release}", ukify[".uname"]["text"] == release)
sys.exit(0 if ok else 1)
PY

# The systemd-measure shim answers ukify's call as systemd-measure 252 does, for the sections 252
# knows (it refuses .uname/.sbat, which is why the shim exists).
echo "== the systemd-measure shim against systemd-measure 252"
echo "console=ttyS0" >"$tmp/cmdline"
"$ZUKI_BIN" zboot --output "$tmp/linux.efi" "$kernel" >/dev/null || fail "zuki zboot failed"
m_args=(calculate "--linux=$tmp/linux.efi" "--osrel=$here/../uki/os-release" "--cmdline=$tmp/cmdline"
        --bank=sha256 --phase=enter-initrd --phase=enter-initrd:leave-initrd --json=short)
"$ZUKI_UKIFY_TOOLS/systemd-measure" "${m_args[@]}" >"$tmp/shim.json" || fail "the shim failed"
"$ZUKI_SYSTEMD_MEASURE" "${m_args[@]}" >"$tmp/sd.json" || fail "systemd-measure 252 failed"
"$ZUKI_PYTHON" -c 'import json,sys; a,b=(json.load(open(p)) for p in sys.argv[1:]); print(json.dumps(a)); sys.exit(a!=b)' \
        "$tmp/shim.json" "$tmp/sd.json" || { cat "$tmp/sd.json"; fail "the shim and systemd-measure 252 differ"; }
echo "ok: the same JSON as systemd-measure 252"
"$ZUKI_UKIFY_TOOLS/systemd-measure" calculate "--linux=$tmp/linux.efi" "--efifw=$tmp/cmdline" 2>"$tmp/err" &&
        fail "the shim accepted --efifw"
grep -q '^systemd-measure (zuki): error: --efifw is not supported' "$tmp/err" || fail "no clear error for --efifw: $(cat "$tmp/err")"
echo "ok: $(cat "$tmp/err")"

# Only --pcr-private-key: ukify derives .pcrpkey with systemd-keyutil (found on $PATH only; Debian
# 12 has none, so zuki's shim) and signs through the systemd-measure shim.
echo "== --pcr-private-key alone"
openssl genrsa -out "$tmp/pcr.key" 2048 2>/dev/null || fail "openssl genrsa"
"$plugin" build --linux "$kernel" --pcr-private-key "$tmp/pcr.key" --output "$tmp/pcr.efi" 2>"$tmp/err" ||
        { cat "$tmp/err"; fail "zuki-ukify build --pcr-private-key failed"; }
"$ZUKI_PYTHON" "$ukify" inspect "$tmp/pcr.efi" --section .pcrpkey:text --section .pcrsig:text --json=short >"$tmp/pcr.json" ||
        fail "ukify inspect failed"
openssl pkey -in "$tmp/pcr.key" -pubout -out "$tmp/pcr.pub" || fail "openssl pkey"
"$ZUKI_PYTHON" - "$tmp/pcr.json" "$tmp/pcr.pub" <<'PY' || fail ".pcrpkey/.pcrsig"
import json, sys
j = json.load(open(sys.argv[1]))
pub = open(sys.argv[2]).read()
sig = json.loads(j[".pcrsig"]["text"].rstrip("\0"))
ok = j[".pcrpkey"]["text"].strip() == pub.strip()
print(("ok: " if ok else "FAIL: ") + ".pcrpkey is the private key's public half (openssl pkey -pubout)")
n = len(sig.get("sha256", []))
print(("ok: " if n == 4 else "FAIL: ") + f".pcrsig has {n} sha256 policies (one per default phase path)")
sys.exit(0 if ok and n == 4 else 1)
PY

# refuse NAME SED-EXPRESSION EXPECTED-ERROR-REGEX
refuse() {
        local name=$1 expr=$2 want=$3
        sed -e "$expr" "$ukify" >"$tmp/ukify-$name"
        cmp -s "$ukify" "$tmp/ukify-$name" && fail "$name: the sed expression changed nothing"
        rm -f "$tmp/out.efi"
        ZUKI_UKIFY=$tmp/ukify-$name "$plugin" build --linux "$tmp/linux.efi" --output "$tmp/out.efi" >"$tmp/out" 2>"$tmp/err"
        local rc=$?
        echo "== $name: exit $rc: $(tail -n 1 "$tmp/err")"
        ((rc == 1)) || fail "$name: exit status $rc, expected 1"
        # ukify's own "+ command" trace lines may come first; the error is one line, the last.
        [[ $(grep -c '^zuki-ukify: error:' "$tmp/err") -eq 1 ]] || fail "$name: expected exactly one error line"
        tail -n 1 "$tmp/err" | grep -Eq "^zuki-ukify: error: .*$want" || fail "$name: the last line does not say /$want/"
        [[ ! -e $tmp/out.efi ]] || fail "$name: an output file was written"
        local left=("$tmp"/.out.efi*)
        [[ -e ${left[0]} ]] && fail "$name: a staging file was left behind"
        return 0
}
refuse version-263 's/^__version__ = .*/__version__ = "263 (263.1-1)"/' 'ukify 263 .*not a version zuki-ukify supports \(supported: 257-262\)'
refuse version-256 's/^__version__ = .*/__version__ = "256 (256.7-1)"/' 'ukify 256 .*not a version zuki-ukify supports \(supported: 257-262\)'
refuse merge-sbat-params 's/^def merge_sbat(input_pe: list\[Path\], input_text: list\[str\])/def merge_sbat(input_pe: list[Path], input_text: list[str], strict: bool = False)/' \
        'merge_sbat\(input_pe, input_text, strict\) differs'
refuse make-uki-gone 's/^def make_uki(/def build_uki(/' 'no make_uki\(\)'
refuse main-calls-other 's/^        make_uki(opts)$/        build_uki(opts)/' 'main\(\) no longer calls make_uki\(\)'
refuse config-field 's/^    linux: Optional\[Path\]$/    kernel: Optional[Path]/' 'UkifyConfig lacks linux'
# A ukify that quietly builds on another stub: caught by the check of the written UKI.
# (257: "uki = UKI(opts.stub)"; 262: "uki = UKI(opts.join_pcrsig if opts.join_pcrsig else opts.stub)".)
if [[ -f $sd_stub ]]; then
        refuse wrong-stub "s|^    uki = UKI(.*)\$|    uki = UKI(Path('$sd_stub'))|" \
                'not a zuki UKI: its code is not the zuki stub'
fi
# A supported version between the two tested ones is accepted as it is. These builds start from
# the zboot image made above (zuki-ukify takes it as it is), which saves zboot's compression.
sed -e 's/^__version__ = .*/__version__ = "259 (259.1-1)"/' "$ukify" >"$tmp/ukify-259"
ZUKI_UKIFY=$tmp/ukify-259 "$plugin" build --linux "$tmp/linux.efi" --output "$tmp/u259.efi" 2>"$tmp/err" ||
        { cat "$tmp/err"; fail "an otherwise identical ukify 259 was not accepted"; }
echo "ok: ukify 259 with unchanged hooks is accepted"
# Another version with the same code is accepted only when asked for.
sed -e 's/^__version__ = .*/__version__ = "263 (263.1-1)"/' "$ukify" >"$tmp/ukify-263"
ZUKI_UKIFY_ALLOW_UNTESTED=1 ZUKI_UKIFY=$tmp/ukify-263 "$plugin" build --linux "$tmp/linux.efi" --output "$tmp/u263.efi" 2>"$tmp/err" ||
        { cat "$tmp/err"; fail "ZUKI_UKIFY_ALLOW_UNTESTED=1 did not let an otherwise identical ukify 263 through"; }
echo "ok: ZUKI_UKIFY_ALLOW_UNTESTED=1 accepts ukify 263 with unchanged hooks"
echo PASS
