#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki status --root on a fake efivarfs/sysfs/.extra tree. The signed policy is made here with
# test/lib/pcrmodel.py (TPM2_PolicyPCR digest, phase words) and openssl (RSA PKCS#1 v1.5 over
# SHA-256 of the digest), independently of zuki, for PCR values chosen so that:
#   now        PCR 11 matches a signed policy as it is
#   ahead      it matches after "enter-initrd" (the busybox guest's case: no systemd-pcrphase)
#   mismatch   it matches nothing: unlock "would-fail" and one warning (with "<4>" under
#              JOURNAL_STREAM, the journal's warning priority)
#   badsig     the digest matches but the signature is by another key: "would-fail"
#   nosig      no .pcrsig: "unknown", no warning
#   empty      an empty root: every field null, exit 0
#   test-status-fakeroot.sh ZUKI
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1
make_tmp
openssl genrsa -out "$tmp/key.pem" 2048 2>/dev/null || fail "openssl genrsa"
openssl genrsa -out "$tmp/other.pem" 2048 2>/dev/null || fail "openssl genrsa"
openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem" || fail "openssl pkey"

# make_root DIR CASE
make_root() {
        /usr/bin/python3 - "$1" "$2" "$tmp" "$ZUKI_TEST_DIR/lib" <<'PY'
import base64, hashlib, json, os, struct, subprocess, sys
root, case, tmp = sys.argv[1:4]
sys.path.insert(0, sys.argv[4])
import pcrmodel
loader = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
def var(name, data, guid=loader):
    d = f"{root}/sys/firmware/efi/efivars"
    os.makedirs(d, exist_ok=True)
    open(f"{d}/{name}-{guid}", "wb").write(struct.pack("<I", 6) + data)
u16 = lambda s: (s + "\0").encode("utf-16-le")
var("StubInfo", u16("zuki 0.1.0"))
var("StubFeatures", struct.pack("<Q", (1 << 0) | (1 << 9) | (1 << 10)))
var("StubProfile", u16("0"))
var("StubPcrKernelImage", u16("11"))
var("StubZukiPlacement", u16("kaslr=random wx=no-protocol"))
var("LoaderEntrySelected", u16("zukitest-6.1.efi"))
var("LoaderInfo", u16("systemd-boot 257"))
var("SecureBoot", b"\x01", "8be4df61-93ca-11d2-aa0d-00e098032b8c")
h = lambda b: hashlib.sha256(b).digest()
pcr_now = h(b"some boot")
policy = lambda value: pcrmodel.policy_pcr([value], [11])  # from an empty policy, SHA-256 bank
signed = {"now": pcr_now, "ahead": pcrmodel.after_phases(pcr_now, "enter-initrd"), "mismatch": h(b"another"),
          "badsig": pcr_now}.get(case)
pcrdir = f"{root}/sys/class/tpm/tpm0/pcr-sha256"
os.makedirs(pcrdir, exist_ok=True)
open(f"{pcrdir}/11", "w").write(pcr_now.hex().upper() + "\n")
if signed is not None:
    pol = policy(signed)
    key = f"{tmp}/{'other' if case == 'badsig' else 'key'}.pem"
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=pol, capture_output=True, check=True).stdout
    # systemd's pkfp: SHA-256 of the PKCS#1 RSAPublicKey (i2d_PublicKey), not of the SPKI.
    der = subprocess.run(["openssl", "rsa", "-pubin", "-in", f"{tmp}/pub.pem", "-RSAPublicKey_out", "-outform", "DER"],
                         capture_output=True, check=True).stdout
    os.makedirs(f"{root}/.extra", exist_ok=True)
    entries = [{"pcrs": [11], "pkfp": h(der).hex(), "pol": policy(h(b"decoy")).hex(), "sig": base64.b64encode(sig).decode()},
               {"pcrs": [11], "pkfp": h(der).hex(), "pol": pol.hex(), "sig": base64.b64encode(sig).decode()}]
    json.dump({"sha256": entries}, open(f"{root}/.extra/tpm2-pcr-signature.json", "w"))
    open(f"{root}/.extra/tpm2-pcr-public-key.pem", "wb").write(open(f"{tmp}/pub.pem", "rb").read())
PY
}

# expect CASE UNLOCK MATCH WARN(0|1)
expect() {
        local case=$1 unlock=$2 match=$3 warn=$4 root=$tmp/root-$1
        make_root "$root" "$case" || fail "$case: making the fake root failed"
        JOURNAL_STREAM=8:1234 "$zuki" status --json --root "$root" >"$tmp/out.json" 2>"$tmp/err" || fail "$case: zuki status failed"
        "$zuki" status --root "$root" >"$tmp/out.txt" 2>/dev/null || fail "$case: zuki status (text) failed"
        /usr/bin/python3 - "$tmp/out.json" "$case" "$unlock" "$match" <<'PY' || fail "$case: report"
import json, sys
r = json.load(open(sys.argv[1]))
case, unlock, match = sys.argv[2:5]
p = r["pcr11"]
checks = [("unlock " + unlock, p["unlock"] == unlock), ("match " + match, str(p["match"]) == match),
          ("StubInfo", r["stub"]["info"] == "zuki 0.1.0"),
          ("features", r["stub"]["features"] == ["report-boot-partition", "multi-profile-uki", "report-stub-partition"]),
          ("placement", r["placement"] == {"kaslr": "random", "wx": "no-protocol"}),
          ("LoaderEntrySelected", r["loader"]["entry_selected"] == "zukitest-6.1.efi"),
          ("secure boot", r["secure_boot"] is True)]
if case in ("now", "ahead"):
    checks.append(("signature verified", p["signature_valid"] is True))
bad = [w for w, ok in checks if not ok]
print(f"{case}: unlock={p['unlock']} match={p['match']} signature_valid={p['signature_valid']}" + (f"  MISMATCH: {bad}" if bad else ""))
sys.exit(1 if bad else 0)
PY
        if ((warn)); then
                if [[ $(wc -l <"$tmp/err") -ne 1 ]] || ! grep -q '^<4>zuki: warning: the next TPM2 unlock' "$tmp/err"; then
                        fail "$case: expected one '<4>zuki: warning:' line, got: $(cat "$tmp/err")"
                fi
        else
                [[ ! -s $tmp/err ]] || fail "$case: unexpected stderr: $(cat "$tmp/err")"
        fi
        grep -q '^TPM unlock: ' "$tmp/out.txt" || fail "$case: the text report has no TPM unlock line"
}
expect now ok now 0
expect ahead ok "after enter-initrd" 0
expect mismatch would-fail None 1
expect badsig would-fail now 1
expect nosig unknown None 0
mkdir -p "$tmp/empty"
"$zuki" status --json --root "$tmp/empty" >"$tmp/out.json" 2>"$tmp/err" || fail "empty root: zuki status failed"
[[ ! -s $tmp/err ]] || fail "empty root: unexpected stderr"
echo "empty: ok"
"$zuki" status --root "$tmp/nonexistent" 2>"$tmp/err" && fail "a missing root was accepted"
grep -q '^zuki: ' "$tmp/err" || fail "a missing root: no error line"
echo "missing root: $(cat "$tmp/err")"
echo PASS
