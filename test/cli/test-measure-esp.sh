#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki measure's ESP inputs on the host (the QEMU test qemu-predict-esp-x64 proves the values):
# files the stub would not pick up are refused with one line (bad names, a non-PE addon, a name
# given twice), an addon with .linux is a warning and left out as the stub leaves it out, each kind
# lands in its PCR, --esp reads a tree exactly as the same files named one by one, and without ESP
# inputs the output is what it was (no PCR 13, no command line).
#   test-measure-esp.sh ZUKI STUB LINUX
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") stub=$(realpath "$2") linux=$(realpath "$3")
need_tool objcopy binutils
make_tmp
cd "$tmp" || exit 1

"$zuki" build --stub "$stub" --linux "$linux" --cmdline "console=ttyS0" --output uki.efi >/dev/null || fail "zuki build"
# An addon: a PE image with a .cmdline and no .linux (the stub itself is one without .cmdline).
printf 'zuki.addon=1' >addon-cmdline
# Placed after the last section, page-aligned (objdump -h gives VMA and size, image base included).
end=0
while read -r _ _ size vma _; do
        ((end = 16#$vma + 16#$size > end ? 16#$vma + 16#$size : end))
done < <(objdump -h "$stub" | grep -E '^ +[0-9]+ ')
vma=$(printf '0x%x' $(((end + 0xfff) / 0x1000 * 0x1000)))
objcopy --add-section .cmdline=addon-cmdline --set-section-flags .cmdline=data,readonly \
        --change-section-vma .cmdline="$vma" "$stub" good.addon.efi || fail "objcopy: making an addon"
cp uki.efi uki.addon.efi
echo "not a PE image" >text.addon.efi
echo secret >a.cred
echo other >b.cred
echo sysext >a.raw
echo confext >a.confext.raw
mkdir .hidden && echo x >.hidden/.x.cred

# refused CODE NEEDLE ARGS...: zuki measure exits CODE with NEEDLE in one stderr line, prints nothing.
refused() {
        local code=$1 needle=$2 rc
        shift 2
        "$zuki" measure "$@" uki.efi >out 2>err
        rc=$?
        if ((rc == code)) && grep -q -F -- "$needle" err && [[ ! -s out ]] && (($(wc -l <err) == 1)); then
                ok "refused ($rc): $*: $(cat err)"
        else
                bad "$*: exit $rc (want $code), stderr: $(cat err), stdout $(wc -c <out) bytes"
        fi
}
refused 2 'does not pick up a file named "a.raw" for --credential' --credential a.raw
refused 2 'does not pick up a file named "a.confext.raw" for --sysext' --sysext a.confext.raw
refused 2 'does not pick up a file named ".x.cred"' --global-credential .hidden/.x.cred
refused 2 'does not pick up a file named "a.cred" for --addon' --addon a.cred
refused 2 'does not pick up a file named "a.raw" for --global-confext' --global-confext a.raw
refused 1 'is not a PE image' --addon text.addon.efi
refused 1 'have the same name on the ESP' --credential a.cred --credential .hidden/../a.cred
refused 2 '--esp and --uki-path go together' --esp .
refused 2 'do not apply to signing' --credential a.cred --private-key nokey.pem
refused 1 'no-such.cred' --credential no-such.cred

# Without ESP inputs: PCR 11 only (no load options), as before.
"$zuki" measure uki.efi >plain.txt || fail "zuki measure"
if grep -q '^1[23]:\|^# cmdline' plain.txt; then bad "plain zuki measure: $(cat plain.txt)"; else ok "plain: PCR 11 only"; fi

# Each kind into its PCR; the command line shown.
pcrs() { "$zuki" measure "$@" uki.efi 2>/dev/null | cut -d= -f1 | sort -u | tr '\n' ' '; }
for c in "--credential a.cred|# cmdline console 11:sha256 12:sha256" "--sysext a.raw|# cmdline console 11:sha256 13:sha256" \
        "--global-confext a.confext.raw|# cmdline console 11:sha256 12:sha256" \
        "--smbios-cmdline-extra x=1|# cmdline console 11:sha256 12:sha256"; do
        args=${c%%|*} want=${c#*|}
        # shellcheck disable=SC2086 # args are words
        got=$(pcrs $args)
        [[ $got == "$want " ]] && ok "$args: $got" || bad "$args: PCRs/lines '$got', want '$want '"
done
"$zuki" measure --addon good.addon.efi --smbios-cmdline-extra " zuki.smbios=1 " uki.efi >addon.txt 2>err ||
        fail "zuki measure --addon: $(cat err)"
if grep -q -x '# cmdline console=ttyS0 zuki.addon=1 zuki.smbios=1' addon.txt; then
        ok "the addon's and SMBIOS's command lines are appended"
else
        bad "command line with an addon: $(grep cmdline addon.txt)"
fi

# An addon with .linux: the stub refuses it with a line and boots on; so does the prediction.
"$zuki" measure --json --credential a.cred --addon uki.addon.efi uki.efi >with-uki-addon.json 2>err ||
        fail "zuki measure --addon uki.addon.efi: $(cat err)"
"$zuki" measure --json --credential a.cred uki.efi >without.json 2>/dev/null || fail "zuki measure --credential"
if grep -q 'warning: Ignoring addon uki.addon.efi .*a UKI, not an addon' err && cmp -s with-uki-addon.json without.json; then
        ok "an addon with .linux: a warning, and left out"
else
        bad "an addon with .linux: stderr $(cat err); prediction differs: $(diff without.json with-uki-addon.json | head -5)"
fi

# --esp reads a tree as the stub does: the same prediction as the files named one by one
# (directory names in another case, a non-matching file, a non-PE addon: skipped with a line).
mkdir -p esp/efi/linux/foo.efi.extra.d esp/Loader/Credentials esp/Loader/extensions esp/Loader/addons
cp a.cred esp/efi/linux/foo.efi.extra.d/ && cp b.cred esp/Loader/Credentials/
cp a.raw a.confext.raw esp/Loader/extensions/ && cp good.addon.efi esp/efi/linux/foo.efi.extra.d/
cp text.addon.efi esp/Loader/addons/ && echo ignored >esp/Loader/extensions/readme.txt
"$zuki" measure --json --esp esp --uki-path /EFI/Linux/foo+3-1.efi --smbios-cmdline-extra y=2 uki.efi >esp.json 2>err ||
        fail "zuki measure --esp: $(cat err)"
"$zuki" measure --json --credential a.cred --global-credential b.cred --global-sysext a.raw --global-confext a.confext.raw \
        --addon good.addon.efi --smbios-cmdline-extra y=2 uki.efi >files.json 2>/dev/null || fail "zuki measure (files)"
if cmp -s esp.json files.json && grep -q 'Failed to load addon \\loader\\addons\\text.addon.efi: not a PE image' err; then
        ok "--esp equals the files named one by one ($(grep -c '"pcr"' esp.json) PCR values and events)"
else
        bad "--esp: stderr $(cat err); $(diff files.json esp.json | head -10)"
fi
summary
