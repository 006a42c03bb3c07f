#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki zboot into a filesystem too small for the image: a clear error, and neither the output
# nor a temporary file is left behind.
#   test-full-disk.sh ZUKI KERNEL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 kernel=$2
[[ $(id -u) -eq 0 ]] || skip "mounting a small tmpfs needs root"
mnt=$(mktemp -d)
mount -t tmpfs -o size=1m zuki-test "$mnt" || skip "cannot mount tmpfs"
# shellcheck disable=SC2016 # expanded at exit
at_exit 'umount "$mnt"; rmdir "$mnt"'

"$zuki" zboot --level 1 -o "$mnt/out.efi" "$kernel" 2>"$mnt/../zuki-full-disk.err" && fail "zboot succeeded on a 1 MiB filesystem"
err=$(cat "$mnt/../zuki-full-disk.err"); rm -f "$mnt/../zuki-full-disk.err"
echo "zuki said: $err"
[[ $err == *"No space left on device"* ]] || fail "the error does not say the disk is full"
left=$(ls -A "$mnt")
[[ -z $left ]] || fail "files left behind: $left"
echo PASS
