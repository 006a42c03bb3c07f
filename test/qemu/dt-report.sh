# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2012 # devicetree node and property names are plain
# (hexof comes from guest-init.sh, which sources this file.)
#
# Guest hook: what the kernel's devicetree says about the machine, for comparing the tree a
# UKI's .dtb became after the firmware's fix-ups (test/qemu/uboot-test.sh).
#   dt-model TEXT          /model
#   dt-memory NODE HEX     every /memory@* node's reg
#   dt-chosen NAMES        the property names under /chosen, sorted
#   dt-memreserve NAMES    the nodes under /reserved-memory, sorted (empty when none)
dt=/proc/device-tree
echo "ZUKI-GUEST: dt-model $(tr -d '\000' <"$dt/model")"
for m in "$dt"/memory@*; do
	[ -d "$m" ] && echo "ZUKI-GUEST: dt-memory ${m##*/} $(hexof "$m/reg")"
done
echo "ZUKI-GUEST: dt-chosen $(ls "$dt/chosen" | sort | tr '\n' ' ')"
echo "ZUKI-GUEST: dt-memreserve $(ls "$dt/reserved-memory" 2>/dev/null | sort | tr '\n' ' ')"
