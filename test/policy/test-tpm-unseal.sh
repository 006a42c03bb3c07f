#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The signed policy zuki embeds, used for real in a software TPM with tpm2-tools:
#   1. a secret is sealed to TPM2_PolicyAuthorize(the UKI's .pcrpkey);
#   2. PCR 11 is extended with the events systemd-stub measures for the UKI and the "enter-initrd"
#      phase word, as test/lib/pcrmodel.py computes them from the UKI (not zuki);
#   3. the .pcrsig entry whose pol equals the TPM's own PolicyPCR digest is found (as
#      systemd-cryptsetup does), its signature verified by the TPM (TPM2_VerifySignature, aHash =
#      SHA-256(pol ‖ empty policyRef)), PolicyAuthorize is satisfied and the secret unsealed;
#   4. a copy of the UKI with one section byte changed (same .pcrsig) unseals with no entry.
#   test-tpm-unseal.sh ZUKI STUB KERNEL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") kernel=$(realpath "$3")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for tool in swtpm tpm2_pcrextend tpm2_verifysignature openssl; do
        need_tool $tool
done
/usr/bin/python3 -c 'import pefile' 2>/dev/null || skip "python3-pefile missing"
make_tmp
cd "$tmp" || exit 1
t0=$(date +%s%N)

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null || fail "openssl genpkey"
printf 'ID=zuki-test\n' >os-release
"$zuki" build --stub "$stub" --linux "$kernel" --no-compress --cmdline "console=ttyS0 zuki.policy=1" \
        --os-release @os-release --pcr-private-key key.pem --pcr-banks sha256 --output uki.efi >/dev/null ||
        fail "zuki build"
/usr/bin/python3 "$here/uki-tool.py" section uki.efi .pcrpkey pcrpkey.pem
/usr/bin/python3 "$here/uki-tool.py" section uki.efi .pcrsig pcrsig.json
/usr/bin/python3 "$here/uki-tool.py" flip uki.efi .cmdline uki-changed.efi

swtpm_start "$tmp/tpm" || exit 1

# 1. Seal a secret to PolicyAuthorize(.pcrpkey) (a trial session computes the policy digest).
tpm2_loadexternal -Q -C o -G rsa -u pcrpkey.pem -c key.ctx -n key.name || fail "tpm2_loadexternal .pcrpkey"
tpm2_flushcontext -t -Q
head -c 32 /dev/zero >any.policy
tpm2_startauthsession -Q -S trial.ctx
tpm2_policyauthorize -Q -S trial.ctx -L authorize.policy -i any.policy -n key.name || fail "trial PolicyAuthorize"
tpm2_flushcontext -Q trial.ctx
tpm2_flushcontext -t -Q
tpm2_createprimary -Q -C o -g sha256 -G ecc -c primary.ctx || fail "tpm2_createprimary"
echo "zuki-secret-$$" >secret
tpm2_create -Q -C primary.ctx -L authorize.policy -a 'fixedtpm|fixedparent' -i secret -u seal.pub -r seal.priv ||
        fail "tpm2_create (seal)"
tpm2_flushcontext -t -Q

# 2.-3. Replay, then try to unseal with the .pcrsig; prints the secret or nothing.
replay() {
        local d
        for d in $(pcrmodel events "$1" --pcr 11 --phase enter-initrd | cut -d' ' -f3); do
                tpm2_pcrextend "11:sha256=$d" || fail "tpm2_pcrextend"
        done
}

try_unseal() {
        local n i found=0
        tpm2_createprimary -Q -C o -g sha256 -G ecc -c primary.ctx || fail "tpm2_createprimary"
        tpm2_load -Q -C primary.ctx -u seal.pub -r seal.priv -c seal.ctx || fail "tpm2_load"
        tpm2_flushcontext -t -Q
        tpm2_loadexternal -Q -C o -G rsa -u pcrpkey.pem -c key.ctx -n key.name || fail "tpm2_loadexternal"
        tpm2_flushcontext -t -Q
        tpm2_startauthsession -Q --policy-session -S session.ctx
        tpm2_policypcr -Q -S session.ctx -l sha256:11 -L pcr.policy || fail "tpm2_policypcr"
        n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sha256"]))' pcrsig.json)
        for ((i = 0; i < n; i++)); do
                /usr/bin/python3 - "$i" <<'PY'
import base64, json, sys
e = json.load(open("pcrsig.json"))["sha256"][int(sys.argv[1])]
open("pol.bin", "wb").write(bytes.fromhex(e["pol"]))
open("sig.bin", "wb").write(base64.b64decode(e["sig"]))
PY
                cmp -s pol.bin pcr.policy || continue
                found=1
                tpm2_verifysignature -Q -c key.ctx -g sha256 -m pol.bin -s sig.bin -f rsassa -t verified.ticket ||
                        fail "TPM2_VerifySignature refused the .pcrsig signature"
                tpm2_flushcontext -t -Q
                tpm2_policyauthorize -Q -S session.ctx -i pol.bin -n key.name -t verified.ticket ||
                        fail "PolicyAuthorize refused a verified signature"
                tpm2_unseal -c seal.ctx -p session:session.ctx 2>/dev/null
        done
        tpm2_flushcontext -Q session.ctx
        tpm2_flushcontext -t -Q
        [[ $found == 1 ]] || echo "no .pcrsig entry for the PolicyPCR digest $(od -An -tx1 pcr.policy | tr -d " \n")" >&2
}

replay uki.efi
got=$(try_unseal)
[[ $got == "$(cat secret)" ]] || fail "the secret was not unsealed with the matching UKI (got '$got')"
echo "ok: unsealed with .pcrsig after replaying the UKI's PCR 11 events"

# 4. A fresh boot (swtpm restart resets the PCRs; the seeds, hence the primary, stay).
swtpm_stop
swtpm_start "$tmp/tpm" || exit 1
replay uki-changed.efi
got=$(try_unseal 2>unseal.err)
[[ -z $got ]] || fail "the secret was unsealed although a .cmdline byte differs"
grep -q "no .pcrsig entry" unseal.err || fail "expected no matching .pcrsig entry: $(cat unseal.err)"
# And the TPM itself refuses PolicyAuthorize with each signed pol (all verify, none is the session's).
tpm2_startauthsession -Q --policy-session -S session.ctx
tpm2_policypcr -Q -S session.ctx -l sha256:11 || fail "tpm2_policypcr"
tpm2_loadexternal -Q -C o -G rsa -u pcrpkey.pem -c key.ctx -n key.name || fail "tpm2_loadexternal"
tpm2_flushcontext -t -Q
n=$(/usr/bin/python3 -c 'import json; print(len(json.load(open("pcrsig.json"))["sha256"]))')
for ((i = 0; i < n; i++)); do
        /usr/bin/python3 -c '
import base64, json, sys
e = json.load(open("pcrsig.json"))["sha256"][int(sys.argv[1])]
open("pol.bin", "wb").write(bytes.fromhex(e["pol"])); open("sig.bin", "wb").write(base64.b64decode(e["sig"]))' "$i"
        tpm2_verifysignature -Q -c key.ctx -g sha256 -m pol.bin -s sig.bin -f rsassa -t verified.ticket ||
                fail "entry $i: signature does not verify"
        tpm2_flushcontext -t -Q
        if tpm2_policyauthorize -Q -S session.ctx -i pol.bin -n key.name -t verified.ticket 2>/dev/null; then
                fail "entry $i: PolicyAuthorize accepted a policy the PCRs do not satisfy"
        fi
done
echo "ok: one changed .cmdline byte: no entry matches, the TPM refuses all $n signed policies"
# 5. systemd 262's policy references: a secret sealed to PolicyAuthorize(key, policyRef =
#    SHA256("initrd")) (what systemd-cryptenroll --tpm2-public-key-policyref=initrd enrolls) unseals
#    with the "ref":"initrd" entry zuki build --sign-initrd-pcrs signs (TPM2_VerifySignature over
#    pol || SHA256("initrd")); the unreferenced entry for the same pol does not verify for it.
"$zuki" build --stub "$stub" --linux "$kernel" --no-compress --cmdline "console=ttyS0 zuki.policy=1" \
        --os-release @os-release --pcr-private-key key.pem --pcr-banks sha256 --sign-initrd-pcrs \
        --output uki-ref.efi >/dev/null || fail "zuki build --sign-initrd-pcrs"
/usr/bin/python3 "$here/uki-tool.py" section uki-ref.efi .pcrsig pcrsig-ref.json
printf 'initrd' | openssl dgst -sha256 -binary >ref.bin
swtpm_stop
swtpm_start "$tmp/tpm" || exit 1
tpm2_loadexternal -Q -C o -G rsa -u pcrpkey.pem -c key.ctx -n key.name || fail "tpm2_loadexternal .pcrpkey"
tpm2_flushcontext -t -Q
tpm2_startauthsession -Q -S trial.ctx
tpm2_policyauthorize -Q -S trial.ctx -L authorize-ref.policy -i any.policy -q ref.bin -n key.name ||
        fail "trial PolicyAuthorize with policyRef"
tpm2_flushcontext -Q trial.ctx
tpm2_flushcontext -t -Q
tpm2_createprimary -Q -C o -g sha256 -G ecc -c primary.ctx || fail "tpm2_createprimary"
tpm2_create -Q -C primary.ctx -L authorize-ref.policy -a 'fixedtpm|fixedparent' -i secret -u seal-ref.pub \
        -r seal-ref.priv || fail "tpm2_create (seal with policyRef)"
tpm2_flushcontext -t -Q
replay uki-ref.efi
tpm2_load -Q -C primary.ctx -u seal-ref.pub -r seal-ref.priv -c seal-ref.ctx || fail "tpm2_load (policyRef)"
tpm2_flushcontext -t -Q
tpm2_loadexternal -Q -C o -G rsa -u pcrpkey.pem -c key.ctx -n key.name || fail "tpm2_loadexternal"
tpm2_flushcontext -t -Q
tpm2_startauthsession -Q --policy-session -S session.ctx
tpm2_policypcr -Q -S session.ctx -l sha256:11 -L pcr.policy || fail "tpm2_policypcr"
/usr/bin/python3 -c '
import base64, json
pol = open("pcr.policy", "rb").read().hex()
es = [e for e in json.load(open("pcrsig-ref.json"))["sha256"] if e["pol"] == pol]
ref = [e for e in es if e.get("ref") == "initrd"]
plain = [e for e in es if "ref" not in e]
assert ref and plain, es
for name, e in (("ref", ref[0]), ("plain", plain[0])):
    open("sig-" + name + ".bin", "wb").write(base64.b64decode(e["sig"]))
open("pol.bin", "wb").write(bytes.fromhex(pol))
open("msg-ref.bin", "wb").write(bytes.fromhex(pol) + open("ref.bin", "rb").read())
' || fail "pcrsig-ref.json lacks an entry for this PCR 11 with reference initrd and one without"
if tpm2_verifysignature -Q -c key.ctx -g sha256 -m msg-ref.bin -s sig-plain.bin -f rsassa -t plain.ticket 2>/dev/null; then
        fail "the unreferenced entry's signature verified for policyRef SHA256(initrd)"
fi
tpm2_flushcontext -t -Q
tpm2_verifysignature -Q -c key.ctx -g sha256 -m msg-ref.bin -s sig-ref.bin -f rsassa -t verified.ticket ||
        fail "TPM2_VerifySignature refused the initrd entry over pol || SHA256(initrd)"
tpm2_flushcontext -t -Q
tpm2_policyauthorize -Q -S session.ctx -i pol.bin -q ref.bin -n key.name -t verified.ticket ||
        fail "PolicyAuthorize with policyRef refused a verified signature"
got=$(tpm2_unseal -c seal-ref.ctx -p session:session.ctx 2>/dev/null)
tpm2_flushcontext -Q session.ctx
[[ $got == "$(cat secret)" ]] || fail "the secret sealed with policyRef was not unsealed (got '$got')"
echo "ok: policy reference initrd: unsealed with its entry; the unreferenced entry does not verify for it"
echo "PASS ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
