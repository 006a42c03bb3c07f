#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The kernel-install plugin, into a temporary ESP:
#   1. through Debian's own kernel-install (252, which does not export uki_generator: the plugin
#      reads uki_generator=zuki from install.conf) with layout=uki, boot counting (tries 3), an
#      entry token and a command line from KERNEL_INSTALL_CONF_ROOT;
#   2. run directly with the environment systemd 257's kernel-install gives plugins, without
#      boot counting: the counted file of the same version is replaced, not kept beside it;
#   2b. layout=uki with uki_generator unset or ukify (issue 18), through kernel-install 252 and with
#      systemd 257's environment: the plugin leaves the ESP untouched, and says why only with -v;
#   3. remove: no UKI of that version is left;
#   4. a uki.conf whose .pcrpkey is not the key that signs the PCR policy (the UKI would boot and
#      ask for the passphrase): kernel-install add fails and nothing is left on the ESP;
#   5. no ukify (as on Debian 12): uki.conf's PCR keys, phases, banks and Secure Boot key reach zuki
#      build (checked with sbverify, zuki check-policy and ukify's reading of .pcrsig); a key it
#      cannot honour (Initrd=) fails the add with the file and line, nothing installed;
#   6. no initrd given or staged (Debian 12's second kernel-install run): /boot/initrd.img-VERSION
#      (ZUKI_BOOT_DIR here) goes into the UKI.
# The UKI's .cmdline and .uname are read back with ukify inspect, the zboot .linux with zuki.
#   test-kernel-install.sh PLUGIN KERNEL RELEASE INITRD
# Environment: ZUKI_BIN, ZUKI_STUB_DIR, ZUKI_UKIFY_TOOLS, ZUKI_UKIFY_PLUGIN (build tree).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
plugin=$1 kernel=$2 release=$3 initrd=$4
load_assets
need_asset ZUKI_UKIFY "ukify 257"
export ZUKI_UKIFY
make_tmp
conf=$tmp/conf esp=$tmp/esp
mkdir -p "$conf" "$esp"
printf 'layout=uki\nuki_generator=zuki\n' >"$conf/install.conf"
echo 3 >"$conf/tries"
echo "console=ttyS0 zuki.test=kernel-install" >"$conf/cmdline"
echo zukitest >"$conf/entry-token"
machine_id=5a554b4900004000800000000000cafe
# The zboot cache the plugin passes to zuki (its default, /var/cache/zuki/zboot, is the system's).
export ZUKI_ZBOOT_CACHE=$tmp/zboot-cache

# check_uki FILE: a zuki UKI for $release with the configured command line.
check_uki() {
        "$ZUKI_BIN" inspect --json "$1" >"$tmp/inspect.json" || fail "zuki inspect $1 failed"
        "$ZUKI_PYTHON" "$ZUKI_UKIFY" inspect "$1" --section .cmdline:text --section .uname:text --json=short \
                >"$tmp/ukify.json" || fail "ukify inspect $1 failed"
        "$ZUKI_PYTHON" - "$tmp/inspect.json" "$tmp/ukify.json" "$release" "$(cat "$conf/cmdline")" <<'PY' || fail "UKI $1"
import json, sys
z, u = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
checks = [("a UKI", z["type"] == "uki"), (".linux is a zstd zboot image", z.get("linux") == {"type": "zboot", "codec": "zstd"}),
          (".uname " + sys.argv[3], u[".uname"]["text"] == sys.argv[3]),
          (".cmdline from the configuration", u[".cmdline"]["text"].strip() == sys.argv[4])]
for what, ok in checks:
    print(("ok: " if ok else "FAIL: ") + what)
sys.exit(0 if all(ok for _, ok in checks) else 1)
PY
}
listing() { (cd "$esp" && find . -type f | sort | tr '\n' ' '); }
# refused_add WHAT REASON ENV-COMMAND...: `ENV-COMMAND kernel-install -v add` must fail, saying
# REASON (grep -E), and leave the ESP empty.
refused_add() {
        local what=$1 reason=$2
        shift 2
        if "$@" kernel-install -v add "$release" "$kernel" "$initrd" >"$tmp/log" 2>&1; then
                cat "$tmp/log"
                fail "kernel-install add $what"
        fi
        grep -E "$reason" "$tmp/log" || { cat "$tmp/log"; fail "no reason given"; }
        echo "ESP: $(listing)"
        [[ -z $(listing) ]] || fail "files left on the ESP after the refusal: $(listing)"
}

echo "== 1. kernel-install $(kernel-install --version | head -n1 | cut -d' ' -f2) add (layout=uki, tries 3)"
command -v kernel-install >/dev/null || fail "kernel-install is not installed"
KERNEL_INSTALL_CONF_ROOT=$conf BOOT_ROOT=$esp MACHINE_ID=$machine_id KERNEL_INSTALL_PLUGINS=$plugin \
        kernel-install -v add "$release" "$kernel" "$initrd" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "kernel-install add failed"; }
grep -E '^(60-zuki-uki|zuki-ukify)' "$tmp/log"
echo "ESP: $(listing)"
want=./EFI/Linux/zukitest-$release+3.efi
[[ $(listing) == "$want " ]] || fail "expected only $want on the ESP"
check_uki "$esp/$want"
grep -q 'reused from the cache' "$tmp/log" && fail "the first add reused a zboot image from an empty cache"

echo "== 2. the plugin run directly with systemd 257's plugin environment, no boot counting"
rm "$conf/tries"
staging=$tmp/staging
mkdir -p "$staging"
cp "$initrd" "$staging/initrd"
env KERNEL_INSTALL_LAYOUT=uki KERNEL_INSTALL_ENTRY_TOKEN=zukitest KERNEL_INSTALL_MACHINE_ID=$machine_id \
        KERNEL_INSTALL_BOOT_ROOT="$esp" KERNEL_INSTALL_CONF_ROOT="$conf" KERNEL_INSTALL_STAGING_AREA="$staging" \
        KERNEL_INSTALL_IMAGE_TYPE=pe KERNEL_INSTALL_UKI_GENERATOR=zuki KERNEL_INSTALL_INITRD_GENERATOR= \
        KERNEL_INSTALL_VERBOSE=1 \
        "$plugin" add "$release" "$esp/zukitest/$release" "$kernel" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "plugin add failed"; }
grep -E '^60-zuki-uki' "$tmp/log"
echo "ESP: $(listing)"
want=./EFI/Linux/zukitest-$release.efi
[[ $(listing) == "$want " ]] || fail "expected only $want on the ESP (the +3 file replaced)"
check_uki "$esp/$want"
# The same kernel again (as Debian's hooks run kernel-install two or three times per package): the
# zboot image of step 1 is reused.
grep -q 'zuki: zboot image reused from the cache' "$tmp/log" && echo "ok: the zboot image of step 1 was reused from ZUKI_ZBOOT_CACHE" ||
        fail "the second build of the same kernel did not reuse the zboot image (ZUKI_ZBOOT_CACHE)"

echo "== 2b. layout=uki but zuki not chosen (uki_generator unset or ukify): the plugin stays out of the way"
# Every file and directory with its inode and mtime: a UKI rebuilt byte for byte and renamed over
# the old one counts as touched.
snapshot() { (cd "$esp" && find . -printf '%p %i %T@\n' | sort); }
before=$(snapshot)
other=$tmp/conf-other
mkdir -p "$other"
cp "$conf/cmdline" "$conf/entry-token" "$other/"
# untouched WHAT VERBOSE: the ESP is as before; with VERBOSE the log says why, else it is empty.
untouched() {
        [[ $(snapshot) == "$before" ]] ||
                fail "$1: the plugin acted although uki_generator is not zuki: $(diff <(echo "$before") <(snapshot))"
        if [[ $2 == verbose ]]; then
                grep -E '^60-zuki-uki.install: uki_generator is .*not zuki.*nothing to do$' "$tmp/log" ||
                        { cat "$tmp/log"; fail "$1: no verbose line saying why nothing was done"; }
        else
                [[ ! -s $tmp/log ]] || { cat "$tmp/log"; fail "$1: output without verbose mode"; }
        fi
        echo "ok: $1: ESP untouched"
}
for generator in "" ukify; do
        printf 'layout=uki\n%s\n' "${generator:+uki_generator=$generator}" >"$other/install.conf"
        for args in "add $release $kernel $initrd" "remove $release"; do
                # shellcheck disable=SC2086 # the words of $args
                KERNEL_INSTALL_CONF_ROOT=$other BOOT_ROOT=$esp MACHINE_ID=$machine_id KERNEL_INSTALL_PLUGINS=$plugin \
                        kernel-install -v $args >"$tmp/log" 2>&1 ||
                        { cat "$tmp/log"; fail "kernel-install ${args%% *} failed with uki_generator='$generator'"; }
                untouched "kernel-install 252 ${args%% *}, uki_generator='$generator'" verbose
        done
        for verbose in 0 1; do
                env KERNEL_INSTALL_LAYOUT=uki KERNEL_INSTALL_ENTRY_TOKEN=zukitest KERNEL_INSTALL_MACHINE_ID=$machine_id \
                        KERNEL_INSTALL_BOOT_ROOT="$esp" KERNEL_INSTALL_CONF_ROOT="$other" KERNEL_INSTALL_STAGING_AREA="$staging" \
                        KERNEL_INSTALL_IMAGE_TYPE=pe KERNEL_INSTALL_UKI_GENERATOR="$generator" KERNEL_INSTALL_INITRD_GENERATOR= \
                        KERNEL_INSTALL_VERBOSE=$verbose \
                        "$plugin" add "$release" "$esp/zukitest/$release" "$kernel" >"$tmp/log" 2>&1 ||
                        { cat "$tmp/log"; fail "plugin add failed with uki_generator='$generator'"; }
                untouched "systemd 257 environment, uki_generator='$generator', verbose $verbose" \
                        "$( ((verbose)) && echo verbose)"
        done
done

echo "== 2c. X86_BOOT=efistub in zuki.conf: a UKI that zuki kexec can load; a wrong value installs nothing"
# (step 1 used zuki's default, the direct path where the kernel qualifies: not kexec-able)
"$ZUKI_PYTHON" -c 'import json, sys; j = json.load(open(sys.argv[1])); sys.exit(0 if j["kexec"]["extractable"] is False else 1)' \
        "$tmp/inspect.json" && echo "ok: the default UKI (direct path) is not kexec-able, as zuki inspect says" ||
        fail "zuki inspect: the default UKI of step 2 is kexec-able, or says nothing ($(cat "$tmp/inspect.json"))"
plugin_env() {
        env KERNEL_INSTALL_LAYOUT=uki KERNEL_INSTALL_ENTRY_TOKEN=zukitest KERNEL_INSTALL_MACHINE_ID=$machine_id \
                KERNEL_INSTALL_BOOT_ROOT="$esp" KERNEL_INSTALL_CONF_ROOT="$conf" KERNEL_INSTALL_STAGING_AREA="$staging" \
                KERNEL_INSTALL_IMAGE_TYPE=pe KERNEL_INSTALL_UKI_GENERATOR=zuki KERNEL_INSTALL_INITRD_GENERATOR= \
                "$plugin" add "$release" "$esp/zukitest/$release" "$kernel" >"$tmp/log" 2>&1
}
printf '# zuki kernel-install settings\nX86_BOOT="efistub"\n' >"$conf/zuki.conf"
plugin_env || { cat "$tmp/log"; fail "plugin add with X86_BOOT=efistub failed"; }
check_uki "$esp/EFI/Linux/zukitest-$release.efi"
"$ZUKI_BIN" kexec --dry-run --json "$esp/EFI/Linux/zukitest-$release.efi" >"$tmp/kexec.json" ||
        fail "zuki kexec --dry-run refused the X86_BOOT=efistub UKI"
"$ZUKI_PYTHON" - "$tmp/kexec.json" "$release" "$(cat "$conf/cmdline")" <<'PY' || fail "zuki kexec --dry-run"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["kernel"]["kind"] == "bzImage" and j["kernel"]["release"] == sys.argv[2], j["kernel"]
assert j["cmdline"] == sys.argv[3], j["cmdline"]
print("ok: X86_BOOT=efistub: zuki kexec takes the UKI: bzImage", j["kernel"]["release"], "with the configured command line")
PY
before=$(snapshot)
echo 'X86_BOOT=fast' >"$conf/zuki.conf"
plugin_env && { cat "$tmp/log"; fail "the plugin accepted X86_BOOT=fast"; }
grep -q "X86_BOOT/ZUKI_X86_BOOT is 'fast'" "$tmp/log" || { cat "$tmp/log"; fail "no line naming the bad X86_BOOT"; }
[[ $(snapshot) == "$before" ]] && echo "ok: X86_BOOT=fast refused with one line, the ESP untouched" || fail "X86_BOOT=fast touched the ESP"
rm "$conf/zuki.conf"

echo "== 3. kernel-install remove"
touch "$esp/EFI/Linux/zukitest-$release+2-1.efi" # a counted variant left from an earlier boot
KERNEL_INSTALL_CONF_ROOT=$conf BOOT_ROOT=$esp MACHINE_ID=$machine_id KERNEL_INSTALL_PLUGINS=$plugin \
        kernel-install -v remove "$release" >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "kernel-install remove failed"; }
echo "ESP: $(listing)"
[[ -z $(listing) ]] || fail "UKIs left after remove"

echo "== 4. a signed PCR policy that does not match its UKI is not installed"
openssl genrsa -out "$tmp/pcr.key" 2048 2>/dev/null || fail "openssl genrsa"
openssl genrsa 2048 2>/dev/null | openssl pkey -pubout -out "$tmp/other.pub" || fail "openssl pkey"
printf '[UKI]\nPCRPKey=%s\n\n[PCRSignature:initrd]\nPCRPrivateKey=%s\n' "$tmp/other.pub" "$tmp/pcr.key" >"$conf/uki.conf"
refused_add "installed a UKI whose .pcrsig is not signed by its .pcrpkey" 'no .pcrsig entry is signed by the key in .pcrpkey' \
        env KERNEL_INSTALL_CONF_ROOT="$conf" BOOT_ROOT="$esp" MACHINE_ID="$machine_id" KERNEL_INSTALL_PLUGINS="$plugin"
rm "$conf/uki.conf"

echo "== 5. no ukify (Debian 12): the plugin signs as uki.conf says, through zuki build"
# ZUKI_UKIFY_PLUGIN pointing nowhere makes the plugin take its no-ukify path on any host.
openssl genrsa -out "$tmp/pcr2.key" 2048 2>/dev/null || fail "openssl genrsa"
openssl pkey -in "$tmp/pcr.key" -pubout -out "$tmp/pcr.pub" && openssl pkey -in "$tmp/pcr2.key" -pubout -out "$tmp/pcr2.pub" ||
        fail "openssl pkey"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/sb.key" -out "$tmp/sb.crt" -subj "/CN=zuki kernel-install test/" \
        -days 30 -sha256 2>/dev/null || fail "openssl req"
cat >"$conf/uki.conf" <<CONF
# as ukify reads it; .pcrpkey names the second key (zuki build's default would be the first's)
[UKI]
PCRPKey=$tmp/pcr2.pub
PCRBanks=sha256, sha384
SecureBootSigningTool=sbsign
SecureBootPrivateKey=$tmp/sb.key
SecureBootCertificate=$tmp/sb.crt
Stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

[PCRSignature:initrd]
Phases=enter-initrd
PCRPublicKey=$tmp/pcr.pub
PCRPrivateKey=$tmp/pcr.key

[PCRSignature:system]
PCRPrivateKey=$tmp/pcr2.key
Phases=enter-initrd:leave-initrd enter-initrd:leave-initrd:sysinit
CONF
noukify=(env -u ZUKI_UKIFY ZUKI_UKIFY_PLUGIN=/nonexistent KERNEL_INSTALL_CONF_ROOT="$conf" BOOT_ROOT="$esp"
        MACHINE_ID="$machine_id" KERNEL_INSTALL_PLUGINS="$plugin")
"${noukify[@]}" kernel-install -v add "$release" "$kernel" "$initrd" >"$tmp/log" 2>&1 ||
        { cat "$tmp/log"; fail "kernel-install add without ukify failed"; }
grep -E 'with zuki build \(no ukify installed\), options from' "$tmp/log" || { cat "$tmp/log"; fail "the plugin did not take its no-ukify path"; }
want=./EFI/Linux/zukitest-$release.efi # (no tries file since step 2)
[[ $(listing) == "$want " ]] || fail "expected only $want on the ESP, found: $(listing)"
check_uki "$esp/$want"
sbverify --cert "$tmp/sb.crt" "$esp/$want" >/dev/null 2>&1 || fail "the UKI is not signed with SecureBootCertificate"
echo "ok: sbverify: signed with the SecureBootCertificate"
"$ZUKI_BIN" check-policy "$esp/$want" >"$tmp/check" 2>&1 || { cat "$tmp/check"; fail "zuki check-policy refused the UKI"; }
echo "ok: zuki check-policy: $(head -n 1 "$tmp/check")"
# The .pcrsig as ukify reads it: sha256 and sha384 banks, per bank one entry per (key, phase path),
# each key by its fingerprint (systemd's: sha256 of i2d_PublicKey, for RSA the PKCS#1 RSAPublicKey).
"$ZUKI_PYTHON" "$ZUKI_UKIFY" inspect "$esp/$want" --section .pcrsig:text --section .pcrpkey:text --json=short >"$tmp/sig.json" ||
        fail "ukify inspect .pcrsig"
fp() { openssl rsa -pubin -in "$1" -RSAPublicKey_out -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1; }
"$ZUKI_PYTHON" - "$tmp/sig.json" "$(fp "$tmp/pcr.pub")" "$(fp "$tmp/pcr2.pub")" "$(cat "$tmp/pcr2.pub")" <<'PY' || fail ".pcrsig/.pcrpkey not as uki.conf asked"
import json, sys
u = json.load(open(sys.argv[1]))
sig = json.loads(u[".pcrsig"]["text"])
fp1, fp2, pem = sys.argv[2:5]
checks = [("banks sha256 and sha384", sorted(sig) == ["sha256", "sha384"]),
          (".pcrpkey is PCRPKey", u[".pcrpkey"]["text"].strip() == pem.strip())]
for bank in sorted(sig):
    by_key = {}
    for e in sig[bank]:
        by_key[e["pkfp"]] = by_key.get(e["pkfp"], 0) + 1
    checks.append((f"{bank}: 1 policy by the initrd key, 2 by the system key", by_key == {fp1: 1, fp2: 2}))
    checks.append((f"{bank}: every entry for PCR 11", all(e["pcrs"] == [11] for e in sig[bank])))
for what, ok in checks:
    print(("ok: " if ok else "FAIL: ") + what)
sys.exit(0 if all(ok for _, ok in checks) else 1)
PY
"${noukify[@]}" kernel-install remove "$release" >/dev/null 2>&1 || fail "kernel-install remove"
# A key zuki build cannot honour: the add fails with the file and line, and nothing is installed.
sed -i "s|^\[UKI\]\$|[UKI]\nInitrd=$initrd|" "$conf/uki.conf"
refused_add "took a uki.conf key zuki build cannot honour" 'uki\.conf:[0-9]+: Initrd is not supported without ukify' "${noukify[@]}"
rm "$conf/uki.conf"

echo "== 6. no initrd given or staged (Debian 12's postinst.d/zz-systemd-boot): /boot/initrd.img-VERSION"
mkdir -p "$tmp/boot"
cp "$initrd" "$tmp/boot/initrd.img-$release"
"${noukify[@]}" ZUKI_BOOT_DIR="$tmp/boot" kernel-install -v add "$release" "$kernel" >"$tmp/log" 2>&1 ||
        { cat "$tmp/log"; fail "kernel-install add without an initrd failed"; }
grep -E "using $tmp/boot/initrd\.img-$release" "$tmp/log" || { cat "$tmp/log"; fail "the plugin did not say it took /boot's initrd"; }
"$ZUKI_PYTHON" - "$esp/EFI/Linux/zukitest-$release.efi" "$initrd" <<'PY' || fail "the UKI's .initrd is not /boot/initrd.img-$release"
import sys, pefile
pe = pefile.PE(sys.argv[1], fast_load=True)
s = next(s for s in pe.sections if s.Name.rstrip(b"\0") == b".initrd")
data, want = s.get_data()[: s.Misc_VirtualSize], open(sys.argv[2], "rb").read()
# (zuki build pads each initrd to 4 bytes with zeros)
assert data[: len(want)] == want and data[len(want):] == bytes(len(data) - len(want)) and len(data) - len(want) < 4
print("ok: .initrd is /boot/initrd.img-VERSION, byte for byte")
PY
"${noukify[@]}" kernel-install remove "$release" >/dev/null 2>&1 || fail "kernel-install remove"
echo PASS
