#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds a UKI with `zuki build`, boots it in QEMU with a software TPM and checks what the guest
# saw against what a user would predict:
#   - PCR 11 (and PCR 12 when load options are passed or a profile is chosen) read by the guest
#     equals `zuki measure` of the same UKI, and test/lib/pcrmodel.py's independent computation;
#   - the firmware's TCG event log, replayed event by event by an independent parser
#     (eventlog.py), gives the same PCR values, with two PCR 11 events per measured section, and
#     its PCR 11/12 events (type and digest, in order) are the ones pcrmodel.py expects;
#   - the guest sees the command line it should, StubInfo/StubPcrKernelImage, and /.extra files
#     whose contents equal the sections they came from.
#
#   uki-test.sh --zuki ZUKI --stub STUB --linux KERNEL --initrd INITRD [--firmware FW]
#               [--append TEXT] [--profile N] [--expect-cmdline TEXT] [--sections N]
#               [--expect-extra PATH=FILE]... [--stub-info PREFIX] [--arch x86_64|aarch64]
#               [--hook FILE]... [--expect-guest REGEX]... [--log FILE]
#               [-- zuki build arguments...]
#   uki-test.sh --zuki ZUKI --uki FILE ...   boot FILE as it is (made by another tool; on
#               aarch64 its initrd must carry what --hook-cpio prints)
#
#   --hook FILE        a guest hook (shell, sourced by guest-init.sh) in one more initrd
#   --expect-guest RE  a line of the guest's serial log must match RE (repeatable)
#   --hook-cpio OUT    only write the initrd with the aarch64 PCR reader and the hooks to OUT
#   FW uboot-*         U-Boot: the UKI is the ESP's BOOTAA64.EFI; no load options (--append,
#                      --profile) can be passed there
#
# On aarch64 Debian's kernels have no driver for QEMU's arm64 TPM device, so the guest cannot read
# PCRs or the event log the usual way. Instead an extra initrd carries tis-pcr-read.sh, which
# reads PCR 11 and 12 from the TPM's own registers with busybox devmem; those are compared with
# `zuki measure` and a first-principles PCR 12. The event log is not reachable there.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

zuki="" stub="" linux="" initrd="" firmware=bookworm append="" profile="" expect_cmdline="" sections=""
stub_info="zuki " arch=x86_64 uki="" hook_cpio="" log=""
extras=() hooks=() expect_guest=()
while (($#)); do
        case $1 in
        --uki) uki=$2; shift 2 ;;
        --hook) hooks+=("$2"); shift 2 ;;
        --hook-cpio) hook_cpio=$2; shift 2 ;;
        --expect-guest) expect_guest+=("$2"); shift 2 ;;
        --log) log=$2; shift 2 ;;
        --zuki) zuki=$2; shift 2 ;;
        --stub) stub=$2; shift 2 ;;
        --linux) linux=$2; shift 2 ;;
        --initrd) initrd=$2; shift 2 ;;
        --firmware) firmware=$2; shift 2 ;;
        --append) append=$2; shift 2 ;;
        --profile) profile=$2; shift 2 ;;
        --expect-cmdline) expect_cmdline=$2; shift 2 ;;
        --sections) sections=$2; shift 2 ;;
        --stub-info) stub_info=$2; shift 2 ;;
        --arch) arch=$2; shift 2 ;;
        --expect-extra) extras+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) echo "uki-test: unknown argument $1" >&2; exit 2 ;;
        esac
done

make_tmp
uboot=0
[[ $firmware == uboot-* ]] && uboot=1
((uboot)) && [[ -n $append || -n $profile ]] && { echo "uki-test: U-Boot passes no load options" >&2; exit 2; }

# One more initrd: on aarch64 the PCR reader, and every --hook (in /zuki-hook.d, in order).
mkdir -p "$tmp/hook/zuki-hook.d"
[[ $arch == aarch64 ]] && cp "$here/tis-pcr-read.sh" "$tmp/hook/zuki-hook.sh"
i=0
for h in "${hooks[@]}"; do
        i=$((i + 1))
        cp "$h" "$tmp/hook/zuki-hook.d/$i.sh" || fail "no hook $h"
done
(cd "$tmp/hook" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --quiet >"$tmp/hook.cpio") || fail "cpio"
if [[ -n $hook_cpio ]]; then
        cp "$tmp/hook.cpio" "$hook_cpio"
        exit 0
fi
extra_initrd=()
[[ $arch == aarch64 || ${#hooks[@]} -gt 0 ]] && extra_initrd=(--initrd "$tmp/hook.cpio")
if [[ -n $uki ]]; then
        cp "$uki" "$tmp/uki.efi" || fail "no UKI $uki"
else
        "$zuki" build --stub "$stub" --linux "$linux" ${initrd:+--initrd "$initrd"} "${extra_initrd[@]}" \
                --output "$tmp/uki.efi" "$@" || fail "zuki build failed"
fi
"$zuki" inspect "$tmp/uki.efi" | sed -n '/^sections:/,$p'

measure_args=(--phase=: --json)
[[ -n $profile ]] && measure_args+=(--profile "$profile")
[[ -n $append ]] && measure_args+=(--load-options "$append")
"$zuki" measure "${measure_args[@]}" "$tmp/uki.efi" >"$tmp/predicted.json" || fail "zuki measure failed"
model_args=()
[[ -n $profile ]] && model_args+=(--profile "$profile")
[[ -n $append ]] && model_args+=(--load-options "$append")
pcrmodel json "$tmp/uki.efi" "${model_args[@]}" >"$tmp/model.json" || fail "pcrmodel.py failed"

boot_append=$append
[[ -n $profile ]] && boot_append="@$profile${append:+ $append}"
boot_args=(--arch "$arch" --firmware "$firmware" --tpm --timeout 240 --log "$tmp/serial.log"
        --expect 'ZUKI-GUEST: done' --expect-not 'zuki: (error|warning)')
if ((uboot)); then
        boot_args+=(--esp-image "$tmp/uki.efi" --rng)
else
        boot_args+=(--kernel "$tmp/uki.efi")
fi
for re in "${expect_guest[@]}"; do
        boot_args+=(--expect "$re")
done
[[ -n $boot_append ]] && boot_args+=(--append "$boot_append")
bash "$here/boot.sh" "${boot_args[@]}" >"$tmp/boot.out" 2>&1
rc=$?
tail -n 3 "$tmp/boot.out"
[[ -n $log ]] && cp "$tmp/serial.log" "$log"
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || { grep -a -E 'zuki|boot.sh' "$tmp/boot.out" | tail -n 20; fail "the guest did not boot"; }

guest() { grep -a -m1 "^ZUKI-GUEST: $1 " "$tmp/serial.log" | cut -d' ' -f3-; }
efivar() { grep -a -m1 "^ZUKI-GUEST: efivar $1 " "$tmp/serial.log" | cut -d' ' -f4-; }
if [[ $arch == x86_64 ]]; then
        grep -a -m1 '^ZUKI-GUEST: eventlog ' "$tmp/serial.log" | cut -d' ' -f3 >"$tmp/eventlog.hex"
        [[ -s $tmp/eventlog.hex ]] || fail "the guest printed no event log"
        /usr/bin/python3 "$here/eventlog.py" "$tmp/eventlog.hex" --pcr 11 --pcr 12 >"$tmp/replayed.json" ||
                fail "the event log does not parse"
        pcr11=$(guest pcr11) pcr12=$(guest pcr12)
else
        # TPM2_PCR_Read responses: a zero response code, the digest in the last 32 bytes.
        tis() {
                local r
                r=$(guest "tis-$1")
                [[ ${#r} -eq 124 && ${r:12:8} == 00000000 ]] || fail "reading $1 through the TIS registers: '$r'"
                echo "${r: -64}"
        }
        grep -a -m1 '^ZUKI-GUEST: tis-base' "$tmp/serial.log"
        pcr11=$(tis pcr11) || exit 1
        pcr12=$(tis pcr12) || exit 1
        echo '{}' >"$tmp/replayed.json"
fi

/usr/bin/python3 - "$tmp/predicted.json" "$tmp/replayed.json" "$pcr11" "$pcr12" "${sections}" \
        "$tmp/model.json" <<'PY' || fail "PCR check"
import json, sys
predicted = json.load(open(sys.argv[1]))["sha256"]
replayed = json.load(open(sys.argv[2]))
guest = {"11": sys.argv[3].lower(), "12": sys.argv[4].lower()}
sections, model = sys.argv[5], json.load(open(sys.argv[6]))
ok = True
def check(what, got, want):
    global ok
    mark = "ok" if got == want else "MISMATCH"
    ok &= got == want
    print(f"{mark}: {what}: {got} (expected {want})")
pred11 = [p["hash"] for p in predicted if p["pcr"] == 11]
pred12 = [p["hash"] for p in predicted if p["pcr"] == 12]
check("guest PCR 11 vs zuki measure", guest["11"], pred11[0])
check("guest PCR 12 vs zuki measure", guest["12"], pred12[0] if pred12 else "0" * 64)
if replayed:
    check("event log replay of PCR 11 vs guest", replayed["11"]["value"], guest["11"])
    check("event log replay of PCR 12 vs guest", replayed["12"]["value"], guest["12"])
    if sections:
        check("PCR 11 events (two per measured section)", str(replayed["11"]["events"]), str(2 * int(sections)))
    for pcr in ("11", "12"):
        logged = [f"{e['type']:#x} {e['digest']}" for e in replayed[pcr]["log"]]
        wanted = [f"{e['type']:#x} {e['digest']}" for e in model["events"] if str(e["pcr"]) == pcr]
        # Say where the lists part, not both lists in full.
        at = next((i for i, (a, b) in enumerate(zip(logged, wanted)) if a != b), min(len(logged), len(wanted)))
        got = f"{len(logged)} events" if logged == wanted else f"{len(logged)} events, from #{at} {logged[at:at + 1]}"
        check(f"PCR {pcr} events in the log (type, digest) vs pcrmodel.py", got, f"{len(wanted)} events")
else:
    print("not checked: the event log (unreachable from this guest)")
# PCR 11 and 12 computed from the UKI by test/lib/pcrmodel.py (systemd's rules), not by zuki.
check("guest PCR 11 vs pcrmodel.py", guest["11"], model["pcr11"])
check("guest PCR 12 vs pcrmodel.py", guest["12"], model["pcr12"])
for e in (replayed["11"]["log"] + replayed["12"]["log"]) if replayed else []:
    print(f"  event type {e['type']:#x}: {e['description'][:70]}")
sys.exit(0 if ok else 1)
PY

# Where the stub's time went (zuki only): every phase inside the total, and one TPM event per
# event of the independent model plus the SMBIOS structures the stub measured into PCR 1 (read
# from the event log on x86_64; on aarch64, where the guest has no event log, between none and
# one per SMBIOS type 1, 2 and 11 structure QEMU gives, announced by LoaderPcrSMBIOS).
if [[ $stub_info == zuki* ]]; then
        timings=$(efivar StubZukiTimings)
        smbios_events=unknown
        if [[ $arch == x86_64 ]]; then
                smbios_events=$(/usr/bin/python3 "$here/eventlog.py" "$tmp/eventlog.hex" --pcr 1 |
                        "$ZUKI_SYSTEM_PYTHON" -c 'import json,sys; print(sum(e["description"].startswith("smbios:") for e in json.load(sys.stdin)["1"]["log"]))') ||
                        fail "the event log's PCR 1 does not parse"
        fi
        "$ZUKI_SYSTEM_PYTHON" - "$timings" "$tmp/model.json" "$smbios_events" "$(efivar LoaderPcrSMBIOS)" <<'PY' || fail "StubZukiTimings '$timings'"
import json, sys
t = dict(w.split("=", 1) for w in sys.argv[1].split())
n = {k: int(v) for k, v in t.items()}
phases = n["measure"] + n["decompress"] + n["load"] + n["initrd"]
model = json.load(open(sys.argv[2]))
assert 0 < phases <= n["total"], f"phases {phases} vs total {n['total']}"
smbios = n["events"] - len(model["events"])
if sys.argv[3] != "unknown":
    assert smbios == int(sys.argv[3]), f"{n['events']} events measured: the model has {len(model['events'])}, the log {sys.argv[3]} SMBIOS ones"
else:
    assert 0 <= smbios <= 3, f"{n['events']} events measured, the model has {len(model['events'])}"
assert (smbios > 0) == (sys.argv[4] == "1"), f"{smbios} SMBIOS events, LoaderPcrSMBIOS '{sys.argv[4]}'"
print(f"ok: StubZukiTimings: {sys.argv[1]} ({smbios} SMBIOS events)")
PY
fi
[[ $(efivar StubInfo) == "$stub_info"* ]] || fail "StubInfo is '$(efivar StubInfo)', expected '$stub_info...'"
grep -a -q '^ZUKI-GUEST: efivar StubPcrKernelImage 11$' "$tmp/serial.log" || fail "StubPcrKernelImage is not 11"
echo "ok: StubInfo $(efivar StubInfo), StubPcrKernelImage 11"
if [[ -n $profile ]]; then
        [[ $(efivar StubProfile) == "$profile" ]] || fail "StubProfile is '$(efivar StubProfile)', expected $profile"
        echo "ok: StubProfile $profile"
fi
if [[ -n $expect_cmdline ]]; then
        got=$(guest cmdline)
        [[ $got == "$expect_cmdline" ]] || fail "guest command line '$got', expected '$expect_cmdline'"
        echo "ok: command line '$got'"
fi
for spec in "${extras[@]}"; do
        path=${spec%%=*} file=${spec#*=}
        want=$(sha256sum "$file" | cut -d' ' -f1)
        got=$(grep -a -m1 "^ZUKI-GUEST: extra $path " "$tmp/serial.log" | cut -d' ' -f4)
        [[ $got == "$want" ]] || fail "$path in the guest has sha256 '$got', expected $want (from $file)"
        echo "ok: $path matches $file"
done
echo PASS
