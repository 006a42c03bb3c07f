# shellcheck shell=sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Guest hook for parity-test.sh (sourced by guest-init.sh, busybox sh): what guest-init.sh does not
# report already.
#   parity-pcr N HEX                 PCR 1, 12 and 13 of the sha256 bank
#   parity-entry TYPE|MODE|'PATH'[ -> 'TARGET']   every entry of the initramfs (the root file
#                                    system, -xdev), /.extra included (busybox stat's %F|%a|%N)
#   parity-sha256 HASH PATH          every regular file of it
#   parity-dt MARKER|none            the root's zuki,parity-marker property in the devicetree the
#                                    kernel got (an addon's .dtb: cases/extras), none without one
# Few processes per file: under TCG each fork costs milliseconds, and there are ~300 entries.
for n in 1 12 13; do
    echo "ZUKI-GUEST: parity-pcr $n $(cat /sys/class/tpm/tpm0/pcr-sha256/$n 2>/dev/null || echo none)"
done
find / -xdev -exec stat -c 'ZUKI-GUEST: parity-entry %F|%a|%N' {} +
find / -xdev -type f -exec sha256sum {} + | sed 's/^/ZUKI-GUEST: parity-sha256 /'
m=/proc/device-tree/zuki,parity-marker
if [ -e $m ]; then echo "ZUKI-GUEST: parity-dt $(tr -d '\000' <$m)"; else echo "ZUKI-GUEST: parity-dt none"; fi
