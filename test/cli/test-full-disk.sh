#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki zboot into a filesystem too small for the image: a clear error, and neither the output
# nor a temporary file is left behind.
#   test-full-disk.sh ZUKI KERNEL
set -uo pipefail
zuki=$1 kernel=$2
[[ $(id -u) -eq 0 ]] || { echo "SKIP: mounting a small tmpfs needs root"; exit 77; }
mnt=$(mktemp -d)
mount -t tmpfs -o size=1m zuki-test "$mnt" || { echo "SKIP: cannot mount tmpfs"; exit 77; }
trap 'umount "$mnt"; rmdir "$mnt"' EXIT

"$zuki" zboot --level 1 -o "$mnt/out.efi" "$kernel" 2>"$mnt/../zuki-full-disk.err" && { echo "FAIL: zboot succeeded on a 1 MiB filesystem"; exit 1; }
err=$(cat "$mnt/../zuki-full-disk.err"); rm -f "$mnt/../zuki-full-disk.err"
echo "zuki said: $err"
[[ $err == *"No space left on device"* ]] || { echo "FAIL: the error does not say the disk is full"; exit 1; }
left=$(ls -A "$mnt")
[[ -z $left ]] || { echo "FAIL: files left behind: $left"; exit 1; }
echo PASS
