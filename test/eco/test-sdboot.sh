#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# systemd-boot (trixie's 257) with two zuki UKIs in /EFI/Linux: one installed by the
# kernel-install plugin (BLS name <token>-<version>.efi), one built by zuki-ukify with another
# os-release. Booted under trixie OVMF with the Memory Attribute Protocol:
#   - systemd-boot lists both Type #2 entries (LoaderEntries, read by the guest) and boots the
#     default from loader.conf (LoaderEntrySelected; its command line reaches the kernel);
#   - the stub that runs is zuki's (StubInfo), started by systemd-boot (LoaderInfo);
#   - zuki status inside the guest reports the same entry, the zuki stub and W^X "enforced".
#   test-sdboot.sh PLUGIN KERNEL_INSTALL_PLUGIN KERNEL RELEASE INITRD OS_RELEASE
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
plugin=$1 ki_plugin=$2 kernel=$3 release=$4 initrd=$5 osrel=$6
load_assets
need_asset ZUKI_UKIFY "ukify 257"
need_asset ZUKI_SYSTEMD_BOOT_X64 "systemd-boot"
export ZUKI_UKIFY ZUKI_UKIFY_PLUGIN=$plugin
make_tmp

zuki_status_hook "$tmp/hook.sh"
zuki_guest_cpio "$ZUKI_BIN" "$tmp/hook.sh" "$tmp/hook.cpio"

# A: through kernel-install's plugin interface into a staging ESP.
mkdir -p "$tmp/conf" "$tmp/esp"
echo "console=ttyS0 panic=-1 zuki.entry=a" >"$tmp/conf/cmdline"
KERNEL_INSTALL_LAYOUT=uki KERNEL_INSTALL_ENTRY_TOKEN=zukitest KERNEL_INSTALL_BOOT_ROOT=$tmp/esp \
        KERNEL_INSTALL_MACHINE_ID=5a554b4900004000800000000000cafe KERNEL_INSTALL_CONF_ROOT=$tmp/conf KERNEL_INSTALL_UKI_GENERATOR=zuki \
        "$ki_plugin" add "$release" "$tmp/esp/zukitest/$release" "$kernel" "$initrd" "$tmp/hook.cpio" \
        >"$tmp/a.log" 2>&1 || { cat "$tmp/a.log"; fail "kernel-install plugin failed"; }
entry_a=zukitest-$release.efi
[[ -f $tmp/esp/EFI/Linux/$entry_a ]] || fail "the plugin did not install $entry_a"
# B: another "OS version" with its own command line.
sed -e 's/^PRETTY_NAME=.*/PRETTY_NAME="zuki test B"/' -e 's/^VERSION_ID=.*/VERSION_ID=2/' "$osrel" >"$tmp/os-release-b"
grep -q '^VERSION_ID=2' "$tmp/os-release-b" || echo 'VERSION_ID=2' >>"$tmp/os-release-b"
entry_b=zukitest-b.efi
"$plugin" build --linux "$kernel" --initrd "$initrd" --initrd "$tmp/hook.cpio" --os-release "@$tmp/os-release-b" \
        --cmdline "console=ttyS0 panic=-1 zuki.entry=b" --output "$tmp/$entry_b" >"$tmp/b.log" 2>&1 ||
        { cat "$tmp/b.log"; fail "zuki-ukify build failed"; }

printf 'timeout 0\ndefault %s\n' "$entry_a" >"$tmp/loader.conf"
bash "$here/../qemu/boot.sh" --arch x86_64 --firmware trixie-memattr --esp-image "$ZUKI_SYSTEMD_BOOT_X64" \
        --esp-file "$tmp/esp/EFI/Linux/$entry_a=EFI/Linux/$entry_a" --esp-file "$tmp/$entry_b=EFI/Linux/$entry_b" \
        --esp-file "$tmp/loader.conf=loader/loader.conf" --rng --timeout 240 --log "$tmp/serial.log" \
        --expect 'ZUKI-GUEST: done' --expect 'ZUKI-GUEST: status \{' --expect-not 'zuki: (error|warning)' \
        >"$tmp/boot.out" 2>&1
rc=$?
tail -n 3 "$tmp/boot.out"
((rc == 77)) && exit 77
((rc == 0)) || { grep -a -E 'zuki|ZUKI-GUEST|BdsDxe' "$tmp/boot.out" | tail -n 20; fail "the guest did not boot"; }

grep -a '^ZUKI-GUEST: ' "$tmp/serial.log" | grep -v -e eventlog -e efivar-hex -e 'status ' >"$tmp/guest.txt"
grep -a -m1 '^ZUKI-GUEST: status ' "$tmp/serial.log" | cut -d' ' -f3- >"$tmp/status.json"
"$ZUKI_PYTHON" - "$tmp/guest.txt" "$tmp/status.json" "$entry_a" "$entry_b" <<'PY' || fail "checks"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
status = json.load(open(sys.argv[2]))
a, b = sys.argv[3], sys.argv[4]
efivar = {}
for l in lines:
    parts = l.split(" ", 3)
    if len(parts) >= 3 and parts[1] == "efivar":
        efivar[parts[2]] = parts[3] if len(parts) > 3 else ""
cmdline = next((l.split(" ", 2)[2] for l in lines if l.startswith("ZUKI-GUEST: cmdline ")), "")
raw = efivar.get("LoaderEntries", "")
try:  # several NUL-separated UTF-16 names: the guest prints them as hex
    entries = [e for e in bytes.fromhex(raw).decode("utf-16-le").split("\0") if e]
except ValueError:
    entries = [raw]
ok = True
def check(what, cond, detail=""):
    global ok
    print(("ok: " if cond else "FAIL: ") + what + (f" ({detail})" if detail else ""))
    ok &= bool(cond)
check("systemd-boot lists both UKIs (LoaderEntries)", a in entries and b in entries, entries)
check("the default entry was booted (LoaderEntrySelected)", efivar.get("LoaderEntrySelected") == a, efivar.get("LoaderEntrySelected"))
check("its command line reached the kernel", "zuki.entry=a" in cmdline.split(), cmdline)
check("started by systemd-boot (LoaderInfo)", efivar.get("LoaderInfo", "").startswith("systemd-boot 257"), efivar.get("LoaderInfo"))
check("the zuki stub ran (StubInfo)", efivar.get("StubInfo", "").startswith("zuki "), efivar.get("StubInfo"))
check("zuki status: entry", status["loader"]["entry_selected"] == a, status["loader"]["entry_selected"])
check("zuki status: stub", str(status["stub"]["info"]).startswith("zuki "))
check("zuki status: W^X enforced, KASLR random", status["placement"] == {"kaslr": "random", "wx": "enforced"}, status["placement"])
sys.exit(0 if ok else 1)
PY
echo PASS
