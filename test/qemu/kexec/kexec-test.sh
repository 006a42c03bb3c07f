#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# kexec of zuki images with sid's kexec-tools, inside a guest (issue 17):
#
#   kexec-test.sh --arch x86_64|aarch64 --zuki ZUKI --stub STUB --kernel VMLINUZ
#                 [--efivarfs KO] [--log FILE]
#
# One QEMU run, three kernels, all the same Debian kernel:
#   1. a zuki UKI (the default zboot mode: x86 direct on x86_64) booted by the firmware; its
#      initrd carries kexec-tools (sid's binary, loader and libraries: $ZUKI_KEXEC_ROOT_*) and
#   2. a second zuki UKI with its own initrd and command line. kexec-tools is first given that
#      UKI unchanged (kexec_load and kexec_file_load: what happens is reported, and must be what
#      docs/kexec.md says), then the kernel, initrd and command line `zuki extract` took out of it
#      on the build host; those are loaded with kexec_file_load (-s; kexec_load on arm64, whose
#      Debian 12 kernel has no kexec_file_load) and executed. The second
#      kernel must report its own initrd's marker and its own command line, and then kexecs into
#   3. a zuki zboot image with a separate initrd: given unchanged first, then extracted, loaded
#      with kexec_load (-l) and executed; the third kernel reports its marker and command line.
# The x86_64 images are made with --x86-boot=efistub (an x86 direct payload has no bzImage to
# extract; zuki extract's refusal of it is checked here too).
# On x86_64, when tools/setup.sh fetched it ($ZUKI_SYSTEMCTL262_ROOT_AMD64), the first kernel also
# runs sid's `systemctl kexec` (systemd 262, guest-systemctl.sh) on one boot entry at a time: a zuki
# UKI (direct payload), Type #1 entries with a zuki zboot image (efistub, then direct), systemd-stub
# 262's own UKI (the control); then on the second UKI, which it is to start. Each must load or be
# refused as docs/kexec.md says; when systemctl refuses the second UKI, kexec-tools loads what zuki
# extract gave (as `zuki kexec` would), systemctl kexec must keep that kernel, and it is executed.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
qemu_dir=$(cd "$here/.." && pwd)

arch="" zuki="" stub="" kernel="" efivarfs="" log=""
while (($#)); do
        case $1 in
        --arch) arch=$2; shift 2 ;;
        --zuki) zuki=$2; shift 2 ;;
        --stub) stub=$2; shift 2 ;;
        --kernel) kernel=$2; shift 2 ;;
        --efivarfs) efivarfs=$2; shift 2 ;;
        --log) log=$2; shift 2 ;;
        *) echo "kexec-test: unknown argument $1" >&2; exit 2 ;;
        esac
done
[[ -n $arch && -n $zuki && -n $stub && -n $kernel ]] || { echo "kexec-test: see the header for usage" >&2; exit 2; }
load_assets
case $arch in
x86_64) root=${ZUKI_KEXEC_ROOT_AMD64:-} old_root=${ZUKI_KEXEC_BOOKWORM_ROOT_AMD64:-} triplet=x86_64-linux-gnu
        ld_name=ld-linux-x86-64.so.2
        console=ttyS0 x86=(--x86-boot=efistub) uki_exec=-s ;;
aarch64) root=${ZUKI_KEXEC_ROOT_ARM64:-} old_root=${ZUKI_KEXEC_BOOKWORM_ROOT_ARM64:-} triplet=aarch64-linux-gnu
        ld_name=ld-linux-aarch64.so.1
        # Debian 12's arm64 kernel is built without CONFIG_KEXEC_FILE: kexec_load only.
        console=ttyAMA0 x86=() uki_exec=-l ;;
*) echo "kexec-test: unknown arch $arch" >&2; exit 2 ;;
esac
[[ -n $root && -x $root/usr/sbin/kexec ]] || skip "sid's kexec-tools for $arch not in the asset cache (run tools/setup.sh)"
need_tool readelf binutils
make_tmp
[[ -n $log ]] || log=$tmp/guest.log

# make_bundle ROOT DIR [BINARY [SONAME...]]: BINARY (default usr/sbin/kexec) from ROOT, its loader
# and the NEEDED closure of its libraries and of the SONAMEs (libraries it dlopen()s), as
# make-initrd.sh --file arguments (in $bundle) that put them in DIR/NAME, DIR/ld.so, DIR/lib/.
make_bundle() {
        local root=$1 dir=$2 binary=${3:-usr/sbin/kexec} d f lib found loader=""
        shift $(($# < 3 ? $# : 3))
        for d in usr/lib64 lib64 usr/lib lib; do
                [[ -e $root/$d/$ld_name ]] && { loader=$root/$d/$ld_name; break; }
        done
        [[ -n $loader ]] || fail "no $ld_name in $root"
        bundle=(--file "$root/$binary=$dir/${binary##*/}" --file "$loader=$dir/ld.so")
        local libdirs=("$root/usr/lib/$triplet" "$root/lib/$triplet" "$root/usr/lib/$triplet/systemd")
        local -A seen=()
        local queue=("$root/$binary")
        # needed FILE: the NEEDED entries of FILE; a bare SONAME (a dlopen()ed library) is itself.
        needed() { if [[ $1 == */* ]]; then readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; else echo "$1"; fi; }
        queue+=("$@")
        while ((${#queue[@]})); do
                f=${queue[0]}
                queue=("${queue[@]:1}")
                for lib in $(needed "$f"); do
                        [[ -n ${seen[$lib]:-} || $lib == ld-linux* ]] && continue
                        found=""
                        for d in "${libdirs[@]}"; do
                                [[ -e $d/$lib ]] && { found=$(readlink -f "$d/$lib"); break; }
                        done
                        [[ -n $found ]] || fail "$lib (needed by ${f##*/}) is not in $root"
                        seen[$lib]=1
                        bundle+=(--file "$found=$dir/lib/$lib")
                        queue+=("$found")
                done
        done
        echo "bundle from $root: ${binary##*/}, loader and ${#seen[@]} libraries: ${!seen[*]}"
}
make_bundle "$root" kexec
new_bundle=("${bundle[@]}")
# Bookworm's kexec-tools (2.0.25) goes into the first initrd only: it is tried on the second UKI.
old_bundle=()
if [[ -n $old_root && -x $old_root/usr/sbin/kexec ]]; then
        make_bundle "$old_root" kexec-old
        old_bundle=("${bundle[@]}")
else
        echo "note: bookworm's kexec-tools for $arch is not in the asset cache (run tools/setup.sh): 2.0.25 is not tried"
fi

initrd_args=(--arch "$arch")
[[ -n $efivarfs ]] && initrd_args+=(--efivarfs "$efivarfs")
marker() { printf 'say kexec-marker %s\n' "$1" >"$tmp/marker-$1.sh"; }
mkinitrd() { bash "$qemu_dir/make-initrd.sh" "$@" "${initrd_args[@]}" >/dev/null || fail "make-initrd $1"; }
# stage_files NAME EXEC: the files of stage NAME in /kexec (see guest-kexec.sh)
stage_files() {
        printf '%s\n' "$1" >"$tmp/next-$1"
        printf '%s\n' "$2" >"$tmp/$1.exec"
        stage=(--file "$qemu_dir/kexec/guest-kexec.sh=zuki-hook.d/50-kexec.sh" --file "$tmp/next-$1=kexec/next"
               --file "$tmp/$1.exec=kexec/$1.exec")
        local f
        for f in efi kernel initrd cmdline; do
                stage+=(--file "$tmp/$1.$f=kexec/$1.$f")
        done
}

# 3: the zboot image and its separate initrd.
zboot_cmdline="console=$console panic=-1 zuki.kexec=zboot"
marker zboot
mkinitrd "$tmp/zboot.initrd" --file "$tmp/marker-zboot.sh=zuki-hook.d/10-marker.sh"
printf '%s' "$zboot_cmdline" >"$tmp/zboot.cmdline"
"$zuki" zboot "${x86[@]}" --stub "$stub" --output "$tmp/zboot.efi" "$kernel" >/dev/null || fail "zuki zboot"
"$zuki" extract --output "$tmp/zboot.kernel" "$tmp/zboot.efi" || fail "zuki extract of the zboot image"
cmp -s "$kernel" "$tmp/zboot.kernel" || fail "zuki extract did not give back the kernel zuki zboot was given"

# sid's systemctl (systemd 262) in the first kernel (x86_64: Debian 12's arm64 kernel has no
# kexec_file_load), guest-systemctl.sh: its ESP trees, one boot entry each, and the UKI for the
# "exec" one (the second UKI) need an .osrel: bootspec takes a PE as a UKI only with one.
printf 'NAME="zuki kexec test"\nID=zuki-kexec\nVERSION_ID=1\n' >"$tmp/os-release"
# 2: the second UKI; its initrd chains to 3.
uki_cmdline="console=$console panic=-1 zuki.kexec=uki"
marker uki
stage_files zboot -l
mkinitrd "$tmp/uki-built.initrd" --file "$tmp/marker-uki.sh=zuki-hook.d/10-marker.sh" "${new_bundle[@]}" "${stage[@]}"
"$zuki" build --linux "$tmp/zboot.efi" --initrd "$tmp/uki-built.initrd" --cmdline "$uki_cmdline" --os-release "@$tmp/os-release" \
        --uname '' --output "$tmp/uki.efi" >/dev/null || fail "zuki build (second UKI)"
"$zuki" extract --output "$tmp/uki.kernel" "$tmp/uki.efi" || fail "zuki extract of the UKI's kernel"
"$zuki" extract --section initrd --output "$tmp/uki.initrd" "$tmp/uki.efi" || fail "zuki extract --section initrd"
"$zuki" extract --section cmdline --output "$tmp/uki.cmdline" "$tmp/uki.efi" || fail "zuki extract --section cmdline"
# The section may carry zero padding after the initrd (zuki build aligns .initrd to 4 bytes).
/usr/bin/python3 - "$tmp/uki-built.initrd" "$tmp/uki.initrd" <<'PY' || fail "the extracted .initrd is not the initrd the UKI was built with"
import sys
built, got = (open(f, "rb").read() for f in sys.argv[1:])
rest = got[len(built):]
sys.exit(0 if got.startswith(built) and len(rest) < 4 and not any(rest) else 1)
PY
[[ $(cat "$tmp/uki.cmdline") == "$uki_cmdline" ]] || fail "the extracted .cmdline is '$(cat "$tmp/uki.cmdline")'"

# 1's kernel is made the default way: on x86_64 the direct payload, where the kernel qualifies (as
# Debian's does). That has no bzImage to give back: zuki extract refuses it in one line.
"$zuki" zboot --stub "$stub" --output "$tmp/direct.efi" "$kernel" >/dev/null || fail "zuki zboot (default mode)"
if [[ $arch == x86_64 ]]; then
        "$zuki" inspect "$tmp/direct.efi" | grep -q '^ *\.x86boot ' || fail "zuki zboot did not choose the direct path for $kernel"
        if "$zuki" extract --output "$tmp/direct.kernel" "$tmp/direct.efi" 2>"$tmp/direct.err"; then
                fail "zuki extract wrote a kernel for an x86 direct payload"
        fi
        cat "$tmp/direct.err"
        [[ ! -e $tmp/direct.kernel && $(wc -l <"$tmp/direct.err") -eq 1 ]] || fail "the refusal is not one line without output"
fi

# zuki inspect says which of them zuki extract can make kexec-able (its "kexec" entry).
kexec_field() { # kexec_field FIELD IMAGE
        "$zuki" inspect --json "$2" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["kexec"][sys.argv[1]])' "$1"
}
kexec_extractable() { kexec_field extractable "$1"; }
for f in zboot uki; do
        [[ $(kexec_extractable "$tmp/$f.efi") == True ]] || fail "zuki inspect does not say $f.efi can be kexec'd after zuki extract"
done
if [[ $arch == x86_64 ]]; then
        [[ $(kexec_extractable "$tmp/direct.efi") == False ]] || fail "zuki inspect says an x86 direct payload can be extracted for kexec"
fi
"$zuki" inspect "$tmp/uki.efi" | grep '^kexec: '

# sid's systemctl in the first kernel (above).
sc_files=() sc_exec=""
if [[ $arch == x86_64 && -x ${ZUKI_SYSTEMCTL262_ROOT_AMD64:-}/usr/bin/systemctl ]]; then
        make_bundle "$ZUKI_SYSTEMCTL262_ROOT_AMD64" systemctl usr/bin/systemctl \
                libzstd.so.1 libz.so.1 liblzma.so.5
        sc_files=("${bundle[@]}" --file "$here/guest-systemctl.sh=zuki-hook.d/40-systemctl.sh")
        sc_exec=systemctl
        esp=systemctl/esp
        # 1-direct-uki: a zuki UKI made the default way (x86 direct payload in .linux)
        "$zuki" build --linux "$tmp/direct.efi" --initrd "$tmp/zboot.initrd" --cmdline "$zboot_cmdline" \
                --os-release "@$tmp/os-release" --uname '' --output "$tmp/sc-direct.efi" >/dev/null || fail "zuki build (direct UKI)"
        sc_files+=(--file "$tmp/sc-direct.efi=$esp/1-direct-uki/EFI/Linux/direct.efi")
        # 2-zboot-entry: a Type #1 entry with the zuki zboot image and its initrd
        printf 'title zboot\nlinux /zboot.efi\ninitrd /zboot.initrd\noptions %s\n' "$zboot_cmdline" >"$tmp/zboot.conf"
        sc_files+=(--file "$tmp/zboot.conf=$esp/2-zboot-entry/loader/entries/zboot.conf"
                   --file "$tmp/zboot.efi=$esp/2-zboot-entry/zboot.efi" --file "$tmp/zboot.initrd=$esp/2-zboot-entry/zboot.initrd")
        # 4-direct-zboot-entry: the same with the default-mode (direct payload) zboot image
        printf 'title direct\nlinux /direct.efi\ninitrd /zboot.initrd\noptions %s\n' "$zboot_cmdline" >"$tmp/direct.conf"
        sc_files+=(--file "$tmp/direct.conf=$esp/4-direct-zboot-entry/loader/entries/direct.conf"
                   --file "$tmp/direct.efi=$esp/4-direct-zboot-entry/direct.efi" --file "$tmp/zboot.initrd=$esp/4-direct-zboot-entry/zboot.initrd")
        # 3-systemd-stub-uki: the control, ukify 262's UKI on systemd-stub 262 (.linux a bzImage)
        if [[ -f ${ZUKI_UKIFY262:-} && -f ${ZUKI_SYSTEMD262_STUB_X64:-} ]]; then
                PYTHONPATH=${ZUKI_UKIFY_PYTHONPATH:-} "$ZUKI_SYSTEM_PYTHON" "$ZUKI_UKIFY262" build \
                        --stub "$ZUKI_SYSTEMD262_STUB_X64" --linux "$kernel" --initrd "$tmp/zboot.initrd" \
                        --cmdline "$zboot_cmdline" --os-release "@$tmp/os-release" --output "$tmp/sc-sdstub.efi" \
                        >"$tmp/ukify.out" 2>&1 || { cat "$tmp/ukify.out"; fail "ukify 262 build"; }
                sc_files+=(--file "$tmp/sc-sdstub.efi=$esp/3-systemd-stub-uki/EFI/Linux/sd.efi")
        fi
else
        echo "note: no sid systemctl for $arch (ZUKI_SYSTEMCTL262_ROOT_AMD64; x86_64 only): systemctl kexec is not tried"
fi

# 1: the UKI the firmware boots.
stage_files uki "${sc_exec:-$uki_exec}"
mkinitrd "$tmp/first.initrd" "${new_bundle[@]}" "${old_bundle[@]}" "${sc_files[@]}" "${stage[@]}"
"$zuki" build --linux "$tmp/direct.efi" --initrd "$tmp/first.initrd" --cmdline "console=$console panic=-1 zuki.kexec=first" \
        --no-os-release --uname '' --output "$tmp/first.efi" >/dev/null || fail "zuki build (first UKI)"
stat -c "%s %n" "$tmp"/*.efi "$tmp"/*.initrd

bash "$qemu_dir/boot.sh" --arch "$arch" --firmware bookworm --kernel "$tmp/first.efi" \
        --expect 'ZUKI-GUEST: kexec-marker zboot' --expect 'ZUKI-GUEST: done' --expect-not 'zuki: error' \
        --stop-on 'ZUKI-GUEST: kexec-exec-failed' --timeout 900 --log "$log" >"$tmp/boot.out" 2>&1
boot_rc=$?
grep -a '^ZUKI-GUEST: \(cmdline\|kexec\|systemctl\)' "$log"
((boot_rc == 0)) || { tail -n 8 "$tmp/boot.out"; fail "the guest did not reach the third kernel"; }

# Order: each kernel reports its own command line (and the kexec'd ones their initrd's marker).
sc_cases=""
if [[ -n $sc_exec ]]; then
        # zuki inspect's "systemd262" must say what the guest saw (the zboot image loads, UKIs do not).
        for f in zboot=True uki=False sc-direct=False; do
                [[ $(kexec_field systemd262 "$tmp/${f%=*}.efi") == "${f#*=}" ]] ||
                        fail "zuki inspect --json: kexec.systemd262 of ${f%=*}.efi is not ${f#*=}"
        done
        # docs/kexec.md: systemd 262 unpacks one layer. A zboot image (a Type #1 entry) and
        # systemd-stub's UKI (.linux a bzImage) load; a zuki UKI (.linux a zboot image, whichever
        # x86 mode) does not; after what `zuki kexec` does it keeps the loaded kernel.
        sc_cases="1-direct-uki=refused 2-zboot-entry=loaded 4-direct-zboot-entry=refused exec-uki=refused"
        sc_cases+=" exec-uki-preloaded=loaded"
        [[ -f $tmp/sc-sdstub.efi ]] && sc_cases+=" 3-systemd-stub-uki=loaded"
fi
/usr/bin/python3 - "$log" "console=$console panic=-1 zuki.kexec=first" "$uki_cmdline" "$zboot_cmdline" "$sc_cases" <<'PY' || fail "stage order"
import sys
log, first, uki, zboot, sc_cases = sys.argv[1:]
lines = [l.rstrip("\r\n") for l in open(log, errors="replace") if l.startswith("ZUKI-GUEST: ")]
want = [f"ZUKI-GUEST: cmdline {first}", "ZUKI-GUEST: kexec-exec uki",
        f"ZUKI-GUEST: cmdline {uki}", "ZUKI-GUEST: kexec-marker uki", "ZUKI-GUEST: kexec-exec zboot",
        f"ZUKI-GUEST: cmdline {zboot}", "ZUKI-GUEST: kexec-marker zboot", "ZUKI-GUEST: done"]
pos = 0
for w in want:
    try:
        pos = lines.index(w, pos) + 1
    except ValueError:
        sys.exit(f"not seen (in this order): {w}")
    print(f"seen: {w}")
# docs/kexec.md: kexec-tools 2.0.32 and 2.0.25 read no zuki image unchanged (a zstd zboot
# payload), and 2.0.25 loads what zuki extract gives with kexec_load (when it was in the initrd).
for l in lines:
    if l.startswith(("ZUKI-GUEST: kexec-as-is ", "ZUKI-GUEST: kexec-old-as-is ")) and l.split()[4] != "refused":
        sys.exit(f"kexec-tools took a zuki image as it is, unlike what docs/kexec.md says: {l}")
old = [l for l in lines if l.startswith("ZUKI-GUEST: kexec-old-extracted uki -l ")]
if old and old[0].split()[4] != "loaded":
    sys.exit(f"kexec-tools 2.0.25 did not load what zuki extract gave: {old[0]}")
if sum(l.startswith("ZUKI-GUEST: kexec-marker") for l in lines) != 2 or lines.count("ZUKI-GUEST: done") != 1:
    sys.exit("a marker or 'done' appears more often than once per stage")
# sid's systemctl kexec (262), when it was in the first kernel: each case as docs/kexec.md says.
got = {}
for l in lines:
    if l.startswith("ZUKI-GUEST: systemctl-kexec "):
        got[l.split()[2]] = l.split()[3]
for case in sc_cases.split():
    name, want = case.split("=")
    if got.get(name) != want:
        sys.exit(f"systemctl kexec, case {name}: {got.get(name, 'not run')}, docs/kexec.md says {want}")
    print(f"seen: systemctl kexec {name} {want}")
if sc_cases and "ZUKI-GUEST: systemctl-log exec-uki-preloaded Kexec kernel already loaded." not in lines:
    sys.exit("systemctl kexec did not say it kept the kernel that was loaded before it")
PY
echo PASS
