#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An addon (zuki build --addon) started by itself, as a boot menu or the firmware would if a user
# picked it: it says what it is in one line and returns an error, and the firmware goes on to its
# next boot option (OVMF's shell) — nothing hangs, nothing of a kernel starts.
#   test-addon-started.sh ZUKI
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
make_tmp

"$zuki" build --addon --efi-arch x64 --cmdline "zuki.addon=started" --output "$tmp/started.addon.efi" >/dev/null ||
        fail "zuki build --addon"
bash "$here/../qemu/boot.sh" --arch x86_64 --firmware bookworm --esp-image "$tmp/started.addon.efi" --timeout 60 \
        --log "$tmp/serial.log" \
        --expect "zuki: this is a UKI addon: a UKI's stub reads its sections, it is not started" \
        --expect 'Boot[0-9A-F]{4} "EFI Internal Shell"' \
        --expect-not 'EFI stub|Linux version|Booting Linux' >"$tmp/boot.out" 2>&1 ||
        { cat "$tmp/boot.out"; fail "the started addon did not say so and hand back to the firmware"; }
grep -a 'boot.sh: elapsed' "$tmp/boot.out"
ok "the addon said what it is, returned, and OVMF went on to its shell"
summary
