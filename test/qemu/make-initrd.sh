#!/bin/bash
# test/qemu/make-initrd.sh — build the busybox test initrd (gzip'd newc cpio), no root needed.
#
#   make-initrd.sh OUT.cpio.gz [--arch x86_64|aarch64|riscv64] [--efivarfs KO] [--busybox BIN]
#                  [--file SRC=DEST]...
#
#   --arch      guest architecture (default x86_64); picks the static busybox for it from
#               $ZUKI_CACHE/assets.env (ZUKI_BUSYBOX / ZUKI_BUSYBOX_ARM64 / ZUKI_BUSYBOX_RISCV64)
#   --efivarfs  efivarfs.ko of the guest kernel, loaded by /init when present
#   --busybox   use this static busybox instead
#   --file      add SRC to the initrd as /DEST (mode kept: executable or 0644), e.g.
#               --file hook.sh=zuki-hook.sh (sourced by /init before it reports "done")
#
# Contents: /bin/busybox, /bin/sh -> busybox, /init (= guest-init.sh), empty /dev /proc /sys
# /tmp /run, optional /efivarfs.ko and extra files. Timestamps, owners and inode numbers are
# fixed, so the same inputs give the same bytes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
    echo "make-initrd: error: $*" >&2
    exit 1
}

out=""
arch=x86_64
efivarfs=""
busybox=""
files=()
while (($#)); do
    case $1 in
    --arch) arch=${2:?}; shift 2 ;;
    --efivarfs) efivarfs=${2:?}; shift 2 ;;
    --busybox) busybox=${2:?}; shift 2 ;;
    --file) files+=("${2:?}"); shift 2 ;;
    -h | --help) sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) [[ -z $out ]] || die "more than one output given"; out=$1; shift ;;
    esac
done
[[ -n $out ]] || die "usage: make-initrd.sh OUT.cpio.gz [--arch A] [--efivarfs KO] [--file SRC=DEST]..."

if [[ -z $busybox ]]; then
    assets=${ZUKI_ASSETS:-${ZUKI_CACHE:-/var/cache/zuki}/assets.env}
    # shellcheck disable=SC1090
    [[ -r $assets ]] && source "$assets"
    case $arch in
    x86_64) busybox=${ZUKI_BUSYBOX:-/bin/busybox} ;;
    aarch64) busybox=${ZUKI_BUSYBOX_ARM64:-} ;;
    riscv64) busybox=${ZUKI_BUSYBOX_RISCV64:-} ;;
    *) die "unknown arch $arch" ;;
    esac
fi
[[ -n $busybox && -f $busybox ]] || die "no static busybox for $arch (run tools/setup.sh)"
[[ -z $efivarfs || -f $efivarfs ]] || die "no such file: $efivarfs"

umask 022
stage=$(mktemp -d)
tmp_out=""
trap 'rm -rf "$stage" ${tmp_out:+"$tmp_out"}' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run}
install -m 0755 "$busybox" "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$here/guest-init.sh" "$stage/init"
[[ -n $efivarfs ]] && install -m 0644 "$efivarfs" "$stage/efivarfs.ko"
for spec in "${files[@]}"; do
    src=${spec%%=*}
    dest=${spec#*=}
    [[ $spec == *=* && -n $dest ]] || die "--file wants SRC=DEST, got '$spec'"
    [[ -f $src ]] || die "no such file: $src"
    dest=${dest#/}
    mkdir -p "$stage/$(dirname "$dest")"
    if [[ -x $src ]]; then mode=0755; else mode=0644; fi
    install -m "$mode" "$src" "$stage/$dest"
done

# Fixed timestamps (SOURCE_DATE_EPOCH if set) and a sorted file list for stable output.
find "$stage" -mindepth 1 -exec touch -h -d "@${SOURCE_DATE_EPOCH:-0}" {} +

mkdir -p "$(dirname "$out")"
tmp_out=$(mktemp "$(dirname "$out")/.initrd.XXXXXX")
(
    cd "$stage"
    find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --reproducible --quiet
) | gzip -9 -n >"$tmp_out"
chmod 0644 "$tmp_out"
mv "$tmp_out" "$out"
