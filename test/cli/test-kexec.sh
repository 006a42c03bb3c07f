#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki kexec hands kexec-tools what it can read, as a user would check it:
#   - the kernel file it loads is the bzImage the UKI was built from (cmp with the Debian kernel);
#   - the initrd is the UKI's .ucode then .initrd (objcopy --dump-section, binutils), then --initrd;
#   - the command line is the UKI's .cmdline (objcopy), --cmdline replaces it, --append adds;
#   - kexec_file_load (-s -l) first, kexec_load (-l) when that fails; both failing: exit 1 with
#     kexec's own last lines; the files it wrote for kexec are gone afterwards;
#   - refused with one line and nothing run: an x86 direct payload, a zboot image without a
#     command line, --cmdline with --reuse-cmdline.
# The kexec-tools here is a script that records what it was given (loading for real needs a
# kernel to replace: test/lifecycle does that with Debian's kexec-tools inside the guest).
#   test-kexec.sh ZUKI KERNEL_AMD64
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 bzimage=$2
need_tool objcopy binutils
make_tmp

printf 'ucode-archive\n' >"$tmp/ucode"
printf 'initrd-archive-1\n' >"$tmp/initrd1"
printf 'extra-initrd\n' >"$tmp/extra"
"$zuki" build --linux "$bzimage" --microcode "$tmp/ucode" --initrd "$tmp/initrd1" --x86-boot=efistub \
        --cmdline 'console=ttyS0 root=LABEL=r  quiet' --output "$tmp/uki.efi" >/dev/null || fail "zuki build (efistub)"
"$zuki" build --linux "$bzimage" --initrd "$tmp/initrd1" --x86-boot=direct --cmdline quiet \
        --output "$tmp/direct.efi" >/dev/null || fail "zuki build (direct)"
"$zuki" zboot --x86-boot=efistub --output "$tmp/zboot.efi" "$bzimage" >/dev/null || fail "zuki zboot"
objcopy -O binary --only-section=.ucode "$tmp/uki.efi" "$tmp/ucode.dump" &&
        objcopy -O binary --only-section=.initrd "$tmp/uki.efi" "$tmp/initrd.dump" &&
        objcopy -O binary --only-section=.cmdline "$tmp/uki.efi" "$tmp/cmdline.dump" || fail "objcopy"

# The stand-in for kexec-tools: copies the kernel and initrd it is given, records its arguments,
# and fails the way FAIL_MODES says ("s" for kexec -s, "l" for kexec -l).
mkdir "$tmp/seen" "$tmp/scratch"
cat >"$tmp/kexec" <<EOF
#!/bin/bash
mode=l; [[ \$1 == -s ]] && { mode=s; shift; }
[[ \$1 == -l ]] || { echo "unexpected \$*"; exit 9; }
printf '%s\n' "\$mode" "\$@" >"$tmp/seen/args.\$mode"
cp "\$2" "$tmp/seen/kernel"
for a in "\${@:3}"; do [[ \$a == --initrd=* ]] && cp "\${a#--initrd=}" "$tmp/seen/initrd"; done
if [[ \${FAIL_MODES:-} == *\$mode* ]]; then echo "kexec_\$mode: refused by the stand-in"; exit 1; fi
exit 0
EOF
chmod +x "$tmp/kexec"
kx() { TMPDIR="$tmp/scratch" "$zuki" kexec --kexec "$tmp/kexec" "$@"; }

# -- the UKI: kernel, initrd and command line -------------------------------------------------------
out=$(kx --json --initrd "$tmp/extra" "$tmp/uki.efi") || fail "zuki kexec of the efistub UKI"
if cmp -s "$tmp/seen/kernel" "$bzimage"; then ok "kexec was given the Debian bzImage byte for byte"; else bad "the kernel kexec got is not the bzImage"; fi
cat "$tmp/ucode.dump" "$tmp/initrd.dump" "$tmp/extra" >"$tmp/initrd.want"
if cmp -s "$tmp/seen/initrd" "$tmp/initrd.want"; then ok "initrd = .ucode + .initrd (objcopy) + --initrd"; else bad "the initrd kexec got is not .ucode + .initrd + --initrd"; fi
want_cmdline=$(tr '\0\n' '  ' <"$tmp/cmdline.dump" | tr -s ' ' | sed 's/^ //; s/ $//')
if grep -qxF -- "--command-line=$want_cmdline" "$tmp/seen/args.s"; then ok "command line = .cmdline ('$want_cmdline')"; else bad "command line: $(grep -- --command-line "$tmp/seen/args.s")"; fi
[[ ! -e $tmp/seen/args.l ]] && ok "kexec_file_load (-s -l) worked, kexec_load not tried" || bad "kexec -l ran although -s worked"
v=$("$ZUKI_SYSTEM_PYTHON" -c 'import json,sys; j=json.load(sys.stdin); print(j["syscall"], j["kernel"]["release"] != "", j["initrd"]["size"])' <<<"$out")
[[ $v == "kexec_file_load True $(stat -c %s "$tmp/initrd.want")" ]] && ok "--json: syscall, release, initrd size ($v)" || bad "--json says '$v'"
[[ -z $(ls -A "$tmp/scratch") ]] && ok "the files written for kexec are removed" || bad "left behind: $(ls -A "$tmp/scratch")"

# --cmdline replaces, --append adds
rm -f "$tmp/seen/"*
kx --cmdline 'root=/dev/vda' --append 'x=1  y=2' "$tmp/uki.efi" >/dev/null || bad "zuki kexec --cmdline --append"
grep -qxF -- '--command-line=root=/dev/vda x=1 y=2' "$tmp/seen/args.s" && ok "--cmdline replaces .cmdline, --append adds" ||
        bad "--cmdline/--append: $(grep -- --command-line "$tmp/seen/args.s")"

# -- kexec_file_load refused: kexec_load; both refused: exit 1 naming both ------------------------------
rm -f "$tmp/seen/"*
FAIL_MODES=s kx "$tmp/uki.efi" >"$tmp/out" 2>&1 && grep -q 'with kexec_load' "$tmp/out" && [[ -e $tmp/seen/args.l ]] &&
        ok "kexec -s refused: loaded with kexec -l" || bad "no fallback to kexec_load: $(cat "$tmp/out")"
FAIL_MODES=sl kx "$tmp/uki.efi" >"$tmp/out" 2>&1
rc=$?
last=$(tail -n 1 "$tmp/out")
((rc == 1)) && [[ $last == *"kexec_file_load: kexec_s: refused by the stand-in; kexec_load: kexec_l: refused by the stand-in"* ]] &&
        ok "both refused: exit 1, one line with both reasons" || bad "both refused: exit $rc, '$last'"
[[ -z $(ls -A "$tmp/scratch") ]] && ok "nothing left behind after the failure" || bad "left behind: $(ls -A "$tmp/scratch")"
FAIL_MODES=l kx --syscall=load "$tmp/uki.efi" >/dev/null 2>&1 && bad "--syscall=load ignored the failure of kexec -l" ||
        ok "--syscall=load: only kexec -l, its failure is ours"

# -- a zboot image: the kernel, the command line from the user ---------------------------------------
rm -f "$tmp/seen/"*
kx --cmdline quiet --initrd "$tmp/extra" "$tmp/zboot.efi" >/dev/null && cmp -s "$tmp/seen/kernel" "$bzimage" &&
        cmp -s "$tmp/seen/initrd" "$tmp/extra" && ok "zboot image: the bzImage and --initrd" || bad "zboot image"
kx "$tmp/zboot.efi" >/dev/null 2>"$tmp/err"
rc=$?
((rc == 2)) && grep -q 'carries no command line' "$tmp/err" && ok "zboot image without --cmdline: usage error" ||
        bad "zboot image without --cmdline: exit $rc $(cat "$tmp/err")"

# -- refusals: nothing run -----------------------------------------------------------------------------
rm -f "$tmp/seen/"*
kx "$tmp/direct.efi" >/dev/null 2>"$tmp/err"
rc=$?
((rc == 1)) && (($(wc -l <"$tmp/err") == 1)) && grep -q 'direct boot' "$tmp/err" && [[ -z $(ls -A "$tmp/seen") ]] &&
        ok "x86 direct payload refused with one line, kexec not run" || bad "direct payload: exit $rc $(cat "$tmp/err")"
kx --cmdline a --reuse-cmdline "$tmp/uki.efi" >/dev/null 2>&1
(($? == 2)) && ok "--cmdline with --reuse-cmdline: usage error" || bad "--cmdline with --reuse-cmdline accepted"
"$zuki" kexec --dry-run "$tmp/uki.efi" >"$tmp/out" && grep -q '^kexec -s -l KERNEL --initrd=INITRD' "$tmp/out" &&
        [[ -z $(ls -A "$tmp/seen") ]] && ok "--dry-run prints the command and runs nothing" || bad "--dry-run: $(cat "$tmp/out")"
summary
