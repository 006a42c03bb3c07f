#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The kernel-install plugin on an ESP without room for the UKI (a small tmpfs, so the real
# statvfs(2) path is what is tested): one clear error line, a failed "add", and nothing written on
# the ESP, neither the UKI nor a temporary file nor EFI/Linux. The same ESP with room takes it.
#   test-kernel-install-full-esp.sh PLUGIN KERNEL RELEASE INITRD
# Environment: ZUKI_BIN, ZUKI_STUB_DIR (build tree).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
plugin=$1 kernel=$2 release=$3 initrd=$4
[[ $(id -u) -eq 0 ]] || skip "mounting a small tmpfs needs root"
make_tmp
esp=$tmp/esp conf=$tmp/conf
mkdir -p "$esp" "$conf"
echo "console=ttyS0" >"$conf/cmdline"
mount -t tmpfs -o size=4m zuki-esp "$esp" || skip "cannot mount tmpfs"
# shellcheck disable=SC2016 # expanded at exit
at_exit 'umount "$esp"'

# install: the plugin with systemd 257's plugin environment, zuki build (no ukify).
install() {
        env KERNEL_INSTALL_LAYOUT=uki KERNEL_INSTALL_ENTRY_TOKEN=zukitest KERNEL_INSTALL_MACHINE_ID=5a554b4900004000800000000000cafe \
                KERNEL_INSTALL_BOOT_ROOT="$esp" KERNEL_INSTALL_CONF_ROOT="$conf" KERNEL_INSTALL_UKI_GENERATOR=zuki \
                ZUKI_UKIFY_PLUGIN=/nonexistent "$@" "$plugin" add "$release" "$esp/zukitest/$release" "$kernel" "$initrd"
}

install >"$tmp/log" 2>&1 && { cat "$tmp/log"; fail "the plugin installed a UKI into a 4 MiB ESP"; }
cat "$tmp/log"
grep -q '^60-zuki-uki.install: error: not enough space in .* bytes + .* margin needed, .* available; nothing installed$' "$tmp/log" ||
        fail "no clear error line about the free space"
left=$(ls -A "$esp")
[[ -z $left ]] || fail "left on the ESP: $left"
echo "ok: refused with one error line, nothing left on the ESP"

umount "$esp"
mount -t tmpfs -o size=64m zuki-esp "$esp" || fail "cannot mount the larger tmpfs"
install >"$tmp/log" 2>&1 || { cat "$tmp/log"; fail "the plugin failed on an ESP with room"; }
[[ $(cd "$esp" && find . -type f) == "./EFI/Linux/zukitest-$release.efi" ]] || fail "expected only the UKI on the ESP"
echo "ok: installed on an ESP with room"

# The margin counts: an ESP where the UKI fits but not with the margin is refused too.
size=$(stat -c %s "$esp/EFI/Linux/zukitest-$release.efi")
avail=$(stat -f -c '%a %S' "$esp" | awk '{ printf "%.0f", $1 * $2 }')
install ZUKI_ESP_MARGIN=$((avail - size + 4096)) >"$tmp/log" 2>&1 && fail "installed although the margin does not fit"
grep -q 'not enough space' "$tmp/log" || { cat "$tmp/log"; fail "no free-space error with a margin that does not fit"; }
echo "ok: the margin is part of the check"
echo PASS
