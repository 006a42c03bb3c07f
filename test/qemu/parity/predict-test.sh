#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Prediction equals observation for what the ESP adds: the stub boots once in QEMU/OVMF with a
# software TPM from an ESP holding a parity case (credentials, extensions, addons, qemu-args with
# the SMBIOS command-line extension; see parity-test.sh's header), and `zuki measure --esp <that
# tree> --uki-path /EFI/BOOT/BOOTX64.EFI --smbios-cmdline-extra <its value>` of the same UKI must
# give the PCR 12 and 13 values the guest read (sha256), their event log entries (type and digest,
# in order; the description of EV_IPL events) and /proc/cmdline. STUB may be systemd-stub 262 too:
# then the prediction is checked against another implementation of the same rules.
#
#   predict-test.sh --zuki ZUKI --stub STUB --linux KERNEL --initrd INITRD --case DIR
#                   [--hide-from-prediction ESP_PATH]... [--load-options TEXT] [--firmware FW] [--keep DIR]
#
#   --load-options TEXT  boot the UKI with QEMU's -kernel and these load options instead (predicted
#                     with zuki measure --load-options): the firmware gives the stub no file system
#                     then, so only the case's qemu-args count (the SMBIOS command line appended to
#                     load options, each measured on its own)
#   --hide-from-prediction ESP_PATH  leave this file (e.g. loader/credentials/global.cred) out of
#                     the tree zuki measure reads, not out of the booted ESP: the test must fail
#                     (a check that it can)
#   --keep DIR        keep the UKI, serial log, observation and prediction in DIR
#
# Exit: 0 prediction and observation agree, 1 they differ or the boot failed, 77 a missing asset.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../../lib/esp-case.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/esp-case.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
qemu_dir=$(dirname "$here")

zuki="" stub="" linux="" initrd="" case_dir="" firmware=bookworm keep=""
hide=() load_options=()
while (($#)); do
        (($# >= 2)) || { echo "predict-test: $1 needs a value" >&2; exit 2; }
        case $1 in
        --zuki) zuki=$(realpath "$2") ;;
        --stub) stub=$2 ;;
        --linux) linux=$2 ;;
        --initrd) initrd=$2 ;;
        --case) case_dir=$2 ;;
        --hide-from-prediction) hide+=("$2") ;;
        --load-options) load_options=(--load-options "$2") ;;
        --firmware) firmware=$2 ;;
        --keep) keep=$2 ;;
        *) echo "predict-test: unknown argument $1" >&2; exit 2 ;;
        esac
        shift 2
done
for v in zuki stub linux initrd case_dir; do
        [[ -n ${!v} ]] || { echo "predict-test: --${v//_/-} is required" >&2; exit 2; }
done
for f in "$zuki" "$stub" "$linux" "$initrd"; do
        [[ -r $f ]] || fail "no such file: $f"
done
load_assets
make_tmp

esp_case_prepare "$case_dir" "$tmp/esp"
echo "ESP contents next to the UKI (EFI/BOOT/BOOTX64.EFI):"
(cd "$tmp/esp" && find . -type f | LC_ALL=C sort | sed 's|^\./|  |')

# The guest reports PCR 1/12/13 and the initramfs (parity-hook.sh) besides guest-init.sh's lines.
bash "$qemu_dir/uki-test.sh" --hook "$here/parity-hook.sh" --hook-cpio "$tmp/hook.cpio" ||
        fail "writing the hook initrd"
"$zuki" build --no-compress --stub "$stub" --linux "$linux" --initrd "$initrd" --initrd "$tmp/hook.cpio" \
        --cmdline "console=ttyS0 panic=-1" --output "$tmp/uki.efi" >/dev/null || fail "zuki build"

# --- The prediction, from the tree the stub will read (less what --hide-from-prediction hides) ---
cp -r "$tmp/esp" "$tmp/esp-predicted" || fail "copying the ESP tree"
for h in "${hide[@]}"; do
        rm "$tmp/esp-predicted/$h" || fail "--hide-from-prediction $h: not in the case"
        echo "hidden from the prediction: $h"
done
if ((${#load_options[@]})); then
        measure=(--json --bank sha256 "${load_options[@]}")
        boot_from=(--kernel "$tmp/uki.efi" --append "${load_options[1]}")
else
        measure=(--json --bank sha256 --esp "$tmp/esp-predicted" --uki-path /EFI/BOOT/BOOTX64.EFI)
        boot_from=(--esp-image "$tmp/uki.efi" "${esp_case_files[@]}")
fi
[[ -v esp_case_smbios_cmdline_extra ]] && measure+=(--smbios-cmdline-extra "$esp_case_smbios_cmdline_extra")
# The SMBIOS strings choose the addons' .dtbauto (their CHIDs), as in the stub.
[[ -v esp_case_smbios_file ]] && measure+=(--smbios-file "$esp_case_smbios_file")
"$zuki" measure "${measure[@]}" "$tmp/uki.efi" >"$tmp/predicted.json" 2>"$tmp/measure.err" ||
        { cat "$tmp/measure.err"; fail "zuki measure ${measure[*]}"; }
cat "$tmp/measure.err"

# --- The observation ---
bash "$qemu_dir/boot.sh" --arch x86_64 --firmware "$firmware" --tpm --timeout 300 \
        "${boot_from[@]}" "${esp_case_qemu_args[@]}" --log "$tmp/serial.log" \
        --expect 'ZUKI-GUEST: done' >"$tmp/boot.out" 2>&1
rc=$?
grep -a -m1 '^boot.sh: elapsed' "$tmp/boot.out"
((rc == 77)) && { tail -n 1 "$tmp/boot.out"; exit 77; }
((rc == 0)) || { tail -n 30 "$tmp/boot.out"; fail "the guest did not boot to its report"; }
"$ZUKI_SYSTEM_PYTHON" "$here/parity-observe.py" "$tmp/serial.log" >"$tmp/observed.txt" ||
        fail "incomplete guest report"
if [[ -n $keep ]]; then
        mkdir -p "$keep" && cp "$tmp"/{uki.efi,serial.log,observed.txt,predicted.json} "$keep/" && echo "kept in $keep"
fi

# --- The comparison: the same lines from both sides, as parity-observe.py writes them ---
"$ZUKI_SYSTEM_PYTHON" - "$tmp/predicted.json" "$tmp/observed.txt" >"$tmp/compare.txt" <<'EOF'
import json, sys
predicted = json.load(open(sys.argv[1]))
observed = open(sys.argv[2]).read().splitlines()
types = {'EV_IPL': 0xd, 'EV_EVENT_TAG': 0x6}

def obs_event(line):
    # event pcrN #I type=T digest=D data=TEXT
    head, _, data = line.partition(' data=')
    _, pcr, _, t, d = head.split(' ')
    return f'event {pcr} type={t[5:]} digest={d[7:]}', data

pred, obs = [], []
# zuki measure leaves out a PCR nothing extends: it stays zero.
values = {e['pcr']: e['hash'] for e in predicted['sha256']}
for pcr in (12, 13):
    pred.append(f'pcr {pcr} {values.get(pcr, "0" * 64)}')
for line in observed:
    if line.startswith(('pcr 12 ', 'pcr 13 ')):
        obs.append(line)
for pcr in (12, 13):
    for e in predicted['events']:
        if e['pcr'] == pcr:
            pred.append(f'event pcr{pcr} type={types[e["type"]]:#x} digest={e["digests"]["sha256"]}')
            if e['type'] == 'EV_IPL':
                pred.append(f'  description {e["description"]}')
    for line in observed:
        if line.startswith(f'event pcr{pcr} '):
            head, data = obs_event(line)
            obs.append(head)
            if head.split(' ')[2] == 'type=0xd':
                obs.append(f'  description {data}')
pred.append(f'cmdline {predicted["cmdline"]}')
obs += [line for line in observed if line.startswith('cmdline ')]
print('\n'.join(pred))
print('=====')
print('\n'.join(obs))
EOF
(($? == 0)) || fail "comparing the prediction with the observation"
sed '/^=====$/,$d' "$tmp/compare.txt" >"$tmp/predicted.txt"
sed '1,/^=====$/d' "$tmp/compare.txt" >"$tmp/observed-1213.txt"
echo "compared: $(wc -l <"$tmp/predicted.txt") predicted lines (PCR 12/13 values and events, command line)"
if diff -u --label "predicted: zuki measure" --label "observed: the guest" "$tmp/predicted.txt" "$tmp/observed-1213.txt"; then
        echo "PASS: zuki measure predicts PCR 12, 13 and the command line the guest saw"
else
        fail "prediction and observation differ (above: - predicted, + observed)"
fi
