#!/bin/bash
# test/qemu/boot.sh — boot one QEMU guest (TCG) under UEFI firmware and check its serial output.
#
#   boot.sh --arch x86_64|aarch64|riscv64 --firmware FW [options]
#
#   FW: bookworm | trixie | trixie-memattr | trixie-strictnx | trixie-secboot
#       trixie-memattr   trixie firmware with the EFI Memory Attribute Protocol left installed
#       trixie-strictnx  trixie secboot.strictnx build (protocol installed, strict NX policy)
#       trixie-secboot   trixie secboot build (enrolled keys come from --vars)
#       uboot-bookworm   (aarch64) Debian's U-Boot for QEMU, 2023.01 (-bios; no variable store)
#       uboot-trixie     (aarch64) trixie's U-Boot for QEMU, 2025.01
#       uboot-bookworm   (riscv64) Debian's U-Boot qemu-riscv64_smode 2023.01 (no EFI_RNG_PROTOCOL)
#       uboot-trixie     (riscv64) trixie's, 2025.01 (EFI_RNG_PROTOCOL from virtio-rng)
#       edk2-trixie      (riscv64) trixie's EDK2 RISC-V (qemu-efi-riscv64 2025.02) under trixie's
#                        QEMU 10.0 (ZUKI_QEMU_TRIXIE_RISCV64: bookworm's 7.2 cannot run it), OpenSBI
#                        as that QEMU ships it; virtio devices on PCI
#                      both started by OpenSBI (fw_jump, -bios) as its next stage (-kernel);
#                      virtio devices are MMIO there
#                      U-Boot ignores -kernel: give --esp-image; --append sets no load options there
#
#   --kernel IMAGE     boot IMAGE with QEMU's -kernel (firmware loads it like a boot option)
#   --initrd FILE      -initrd (needs --kernel)
#   --append "ARGS"    -append (needs --kernel; arrives as the image's load options)
#   --esp-image FILE   put FILE on a FAT ESP as EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI, BOOTRISCV64.EFI)
#                      and attach it
#   --esp-file SRC=DEST  also copy SRC to DEST on the ESP (e.g. loader/entries/x.conf)
#                      The ESP is partition 1 of a GPT disk with fixed GUIDs: partition
#                      5a554b49-0000-4000-8000-000000000001 (what LoaderDevicePartUUID reports),
#                      disk 5a554b49-0000-4000-8000-000000000000.
#   --http-boot FILE   (x86_64, --firmware bookworm) network boot: serve FILE over HTTP from the
#                      host (127.0.0.1, a free port) and boot it through the firmware's UEFI HTTP
#                      boot on a virtio-net NIC (QEMU user networking offers the URL by DHCP; its
#                      PXE options fail at once). The URL, http://10.0.2.2:PORT/NAME as the guest
#                      sees it, is printed as "boot.sh: http-boot URL". trixie's OVMF (2025.02)
#                      brings up no network interface under QEMU 7.2 here, so bookworm's it is.
#   --vars FILE        use FILE as the variable store template instead of the firmware's
#   --save-vars FILE   after the boot, copy the variable store (as the guest left it) to FILE
#   --esp-from DISK    start from a copy of DISK (a --save-esp disk) instead of a new ESP; the
#                      --esp-image/--esp-file files are written onto its partition
#   --save-esp FILE    after the boot, copy the ESP disk image (GPT, ESP at 1 MiB) to FILE
#   --tpm              attach a TPM 2.0 (swtpm; tpm-tis on x86, tpm-tis-device on arm64)
#   --tpm-fault-on REGEX  with --tpm: as soon as REGEX appears in the serial log (polled every
#                      0.1 s), send swtpm --tpm-fault-signal (default KILL: it dies, QEMU's TPM
#                      backend then answers every command with a failure; STOP: it stops answering)
#   --rng              attach virtio-rng-pci (the firmware then offers EFI_RNG_PROTOCOL)
#   --timeout SECS     give up after SECS (default 240)
#   --expect REGEX     grep -E REGEX must match a line of the serial log (repeatable);
#                      default when none is given: 'ZUKI-GUEST: done'
#   --expect-not REGEX REGEX must not match (repeatable)
#   --stop-on REGEX    stop the guest as soon as REGEX appears (repeatable). Unless
#                      --no-default-stop, it also stops on a kernel panic, a CPU exception in
#                      firmware context, and when the firmware has no boot option left (it falls
#                      back to its UEFI shell, or says "No bootable option"): these would
#                      otherwise just sit there until the timeout
#   --log FILE         keep the serial log (CR and terminal escapes removed) in FILE
#   --cpu MODEL        CPU model (default: QEMU's default on x86, cortex-a57 on arm64)
#   --qemu-arg ARG     extra QEMU argument (repeatable)
#
# Exit: 0 PASS, 1 FAIL, 2 usage error, 77 SKIP (assets or QEMU missing; Meson counts it as
# skipped). A timeout is a failure unless every expectation was met by then.

# QEMU options are full of commas; cleanup runs from the EXIT trap.
# shellcheck disable=SC2054,SC2317
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

t0=$(date +%s.%N)

usage() {
    echo "boot.sh: error: $*" >&2
    echo "usage: boot.sh --arch x86_64|aarch64|riscv64 --firmware FW [--kernel IMG] [--initrd F] [--append S]" >&2
    echo "               [--esp-image EFI] [--tpm] [--rng] [--timeout S] [--expect RE]... (see header)" >&2
    exit 2
}
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

arch="" firmware="" kernel="" initrd="" append="" have_append=0 esp_image="" vars_file="" http_boot=""
save_vars="" esp_from="" save_esp=""
tpm=0 rng=0 default_stop=1 timeout_s=240 log_file="" cpu=""
expects=() expect_nots=() stop_ons=() esp_files=() qemu_extra=() tpm_fault_on="" tpm_fault_signal=KILL
while (($#)); do
    opt=$1
    case $opt in
    --tpm) tpm=1; shift; continue ;;
    --rng) rng=1; shift; continue ;;
    --no-default-stop) default_stop=0; shift; continue ;;
    -h | --help) sed -n '2,/^# Exit/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    esac
    (($# >= 2)) || usage "$opt needs a value"
    val=$2
    shift 2
    case $opt in
    --arch) arch=$val ;;
    --firmware) firmware=$val ;;
    --kernel) kernel=$val ;;
    --initrd) initrd=$val ;;
    --append) append=$val; have_append=1 ;;
    --esp-image) esp_image=$val ;;
    --esp-file) esp_files+=("$val") ;;
    --http-boot) http_boot=$val ;;
    --vars) vars_file=$val ;;
    --save-vars) save_vars=$val ;;
    --esp-from) esp_from=$val ;;
    --save-esp) save_esp=$val ;;
    --timeout) timeout_s=$val ;;
    --expect) expects+=("$val") ;;
    --expect-not) expect_nots+=("$val") ;;
    --stop-on) stop_ons+=("$val") ;;
    --tpm-fault-on) tpm_fault_on=$val ;;
    --tpm-fault-signal) tpm_fault_signal=$val ;;
    --log) log_file=$val ;;
    --cpu) cpu=$val ;;
    --qemu-arg) qemu_extra+=("$val") ;;
    *) usage "unknown option $opt" ;;
    esac
done

case $arch in x86_64 | aarch64 | riscv64) ;; *) usage "--arch must be x86_64, aarch64 or riscv64" ;; esac
[[ -n $firmware ]] || usage "--firmware is required"
[[ $timeout_s =~ ^[0-9]+$ ]] || usage "--timeout wants whole seconds"
[[ -z $esp_from || -r $esp_from ]] || usage "--esp-from: no such disk image: $esp_from"
[[ -z $save_esp || -n $esp_image || -n $esp_from || ${#esp_files[@]} -gt 0 ]] || usage "--save-esp needs an ESP"
[[ -z $http_boot || ($arch == x86_64 && $firmware == bookworm) ]] || usage "--http-boot is for x86_64 with --firmware bookworm"
[[ -z $http_boot || -r $http_boot ]] || usage "--http-boot: no such file: $http_boot"
[[ -n $kernel || -n $esp_image || -n $esp_from || ${#esp_files[@]} -gt 0 || -n $http_boot ]] ||
    usage "nothing to boot: give --kernel, --esp-image, --esp-file or --http-boot"
[[ -z $kernel && (-n $initrd || $have_append -eq 1) ]] && usage "--initrd/--append need --kernel"
[[ -n $tpm_fault_on && $tpm -eq 0 ]] && usage "--tpm-fault-on needs --tpm"
case $tpm_fault_signal in KILL | STOP) ;; *) usage "--tpm-fault-signal must be KILL or STOP" ;; esac
((${#expects[@]})) || expects=('ZUKI-GUEST: done')

# ---------------------------------------------------------------------------------------------
# Assets
# ---------------------------------------------------------------------------------------------
load_assets

qemu=qemu-system-$arch
if [[ $arch/$firmware == riscv64/edk2-trixie ]]; then
    qemu=${ZUKI_QEMU_TRIXIE_RISCV64:-}
    [[ -x $qemu ]] || skip "trixie's qemu-system-riscv64 (ZUKI_QEMU_TRIXIE_RISCV64) missing (run tools/setup.sh)"
fi
command -v "$qemu" >/dev/null || skip "$qemu not installed"

machine=() code="" vars=""
case $arch/$firmware in
x86_64/bookworm) code=${ZUKI_OVMF_BOOKWORM_CODE:-} vars=${ZUKI_OVMF_BOOKWORM_VARS:-} ;;
x86_64/trixie | x86_64/trixie-memattr)
    code=${ZUKI_OVMF_TRIXIE_CODE:-} vars=${ZUKI_OVMF_TRIXIE_VARS:-} ;;
x86_64/trixie-strictnx) code=${ZUKI_OVMF_TRIXIE_STRICTNX_CODE:-} vars=${ZUKI_OVMF_TRIXIE_VARS:-} ;;
x86_64/trixie-secboot) code=${ZUKI_OVMF_TRIXIE_SECBOOT_CODE:-} vars=${ZUKI_OVMF_TRIXIE_VARS:-} ;;
aarch64/bookworm) code=${ZUKI_AAVMF_BOOKWORM_CODE:-} vars=${ZUKI_AAVMF_BOOKWORM_VARS:-} ;;
aarch64/trixie | aarch64/trixie-memattr)
    code=${ZUKI_AAVMF_TRIXIE_CODE:-} vars=${ZUKI_AAVMF_TRIXIE_VARS:-} ;;
aarch64/trixie-strictnx) code=${ZUKI_AAVMF_TRIXIE_STRICTNX_CODE:-} vars=${ZUKI_AAVMF_TRIXIE_VARS:-} ;;
aarch64/trixie-secboot) code=${ZUKI_AAVMF_TRIXIE_SECBOOT_CODE:-} vars=${ZUKI_AAVMF_TRIXIE_VARS:-} ;;
aarch64/uboot-bookworm) code=${ZUKI_UBOOT_BOOKWORM_ARM64:-} ;;
aarch64/uboot-trixie) code=${ZUKI_UBOOT_TRIXIE_ARM64:-} ;;
riscv64/uboot-bookworm) code=${ZUKI_UBOOT_BOOKWORM_RISCV64:-} ;;
riscv64/uboot-trixie) code=${ZUKI_UBOOT_TRIXIE_RISCV64:-} ;;
riscv64/edk2-trixie) code=${ZUKI_EDK2_TRIXIE_RISCV64_CODE:-} vars=${ZUKI_EDK2_TRIXIE_RISCV64_VARS:-} ;;
*) usage "unknown firmware '$firmware' for $arch" ;;
esac
uboot=0
[[ $firmware == uboot-* ]] && uboot=1
[[ -n $vars_file ]] && vars=$vars_file
[[ -n $code && -r $code ]] || skip "firmware code for $arch/$firmware missing (run tools/setup.sh)"
((uboot)) || [[ -n $vars && -r $vars ]] || skip "firmware vars for $arch/$firmware missing (run tools/setup.sh)"
((uboot)) && [[ -n $kernel ]] && usage "U-Boot does not boot QEMU's -kernel: use --esp-image"

if [[ $arch == x86_64 ]]; then
    case $firmware in
    trixie-strictnx | trixie-secboot)
        machine=("${OVMF_SMM_MACHINE[@]}") ;;
    *) machine=(-machine q35) ;;
    esac
    [[ -n $cpu ]] && machine+=(-cpu "$cpu")
elif [[ $arch == riscv64 ]]; then
    machine=(-machine virt)
    [[ -n $cpu ]] && machine+=(-cpu "$cpu")
    ((uboot)) && { [[ -r ${ZUKI_OPENSBI_RISCV64:-} ]] || skip "OpenSBI (package opensbi) missing (run tools/setup.sh)"; }
else
    machine=(-machine virt -cpu "${cpu:-cortex-a57}")
fi
# Since edk2 2023 the firmware uninstalls the Memory Attribute Protocol unless told otherwise
# (old shims crash with it); strictnx builds keep it anyway.
[[ $firmware == trixie-memattr ]] &&
    machine+=(-fw_cfg name=opt/org.tianocore/UninstallMemAttrProtocol,string=no)

fail_early() {
    echo "boot.sh: FAIL: $*"
    exit 1
}
for f in "$kernel" "$initrd" "$esp_image"; do
    [[ -z $f || -r $f ]] || fail_early "no such file: $f"
done
for spec in "${esp_files[@]}"; do
    [[ $spec == *=* && -r ${spec%%=*} ]] || fail_early "--esp-file wants SRC=DEST with a readable SRC: $spec"
done
((tpm)) && need_tool swtpm swtpm

# ---------------------------------------------------------------------------------------------
# Temporary state; everything started below is stopped on exit
# ---------------------------------------------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/zuki-boot.XXXXXX")
qemu_pid="" stream_pid="" http_pid="" # swtpm_pid: common.sh's swtpm_start_qemu
cleanup() {
    local p
    [[ -n $swtpm_pid ]] && kill -CONT "$swtpm_pid" 2>/dev/null
    for p in $qemu_pid $stream_pid $swtpm_pid $http_pid; do
        kill "$p" 2>/dev/null
    done
    for p in $qemu_pid $stream_pid $swtpm_pid $http_pid; do
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
at_exit cleanup
trap 'exit 130' INT
trap 'exit 143' TERM

# No NIC, unless for --http-boot (below).
net_none=(-net none)
[[ -n $http_boot ]] && net_none=()
args=("${machine[@]}" -m 1024 -smp 1 -nodefaults -display none -no-reboot "${net_none[@]}"
    -chardev "file,id=ser0,path=$tmp/serial.raw" -serial chardev:ser0)
if ((uboot)) && [[ $arch == riscv64 ]]; then
    # OpenSBI in M-mode jumps to the S-mode U-Boot QEMU loaded as the "kernel".
    args+=(-bios "$ZUKI_OPENSBI_RISCV64" -kernel "$code")
elif ((uboot)); then
    # U-Boot runs from RAM; its UEFI variables live in memory for this boot only.
    args+=(-bios "$code")
else
    # Writable copy of the variable store (sparse: the arm64 ones are 64 MiB of mostly nothing).
    cp --sparse=always "$vars" "$tmp/vars.fd" || fail_early "cannot copy $vars"
    args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code"
        -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd")
fi

if [[ -n $kernel ]]; then
    args+=(-kernel "$kernel")
    [[ -n $initrd ]] && args+=(-initrd "$initrd")
    ((have_append)) && args+=(-append "$append")
fi

# --- ESP: a FAT32 file system built with mtools (no root, no loop devices), then put into a
# GPT disk image so that device paths carry a partition (HD) node like on real machines. ---
ESP_DISK_GUID=5a554b49-0000-4000-8000-000000000000
ESP_PART_GUID=5a554b49-0000-4000-8000-000000000001
if [[ -n $esp_image || -n $esp_from || ${#esp_files[@]} -gt 0 ]]; then
    command -v sfdisk >/dev/null || skip "sfdisk (package fdisk) not installed"
    export MTOOLS_SKIP_CHECK=1
    esp=$tmp/esp.fat
    if [[ -n $esp_from ]]; then
        # The partition starts at 1 MiB (below); mtools reaches it with an offset.
        disk=$tmp/esp.img
        cp --sparse=always "$esp_from" "$disk" || fail_early "cannot copy $esp_from"
        esp=$disk@@1048576
    fi
    bytes=0
    for f in "$esp_image" "${esp_files[@]%%=*}"; do
        [[ -n $f ]] && bytes=$((bytes + $(stat -L -c %s "$f")))
    done
    # 64 MiB at least (FAT32 needs ~65k clusters), else the content plus 25% and 16 MiB.
    kib=$((bytes * 5 / 4 / 1024 + 16384))
    ((kib < 65536)) && kib=65536
    [[ -n $esp_from ]] || mkfs.vfat -C -F 32 -n ZUKIESP -i 5a554b49 "$esp" "$kib" >/dev/null ||
        fail_early "mkfs.vfat failed"
    # esp_put SRC DEST: copy SRC to ::/DEST, creating the directories on the way.
    esp_put() {
        local dest=${2#/} dir="" parts
        IFS=/ read -ra parts <<<"$dest"
        local n=${#parts[@]} i
        for ((i = 0; i < n - 1; i++)); do
            dir+=/${parts[i]}
            mmd -i "$esp" "::$dir" 2>/dev/null || true
        done
        mcopy -o -i "$esp" "$1" "::/$dest" || fail_early "mcopy $1 -> $dest failed"
    }
    if [[ -n $esp_image ]]; then
        case $arch in
        x86_64) esp_put "$esp_image" EFI/BOOT/BOOTX64.EFI ;;
        riscv64) esp_put "$esp_image" EFI/BOOT/BOOTRISCV64.EFI ;;
        *) esp_put "$esp_image" EFI/BOOT/BOOTAA64.EFI ;;
        esac
    fi
    for spec in "${esp_files[@]}"; do
        esp_put "${spec%%=*}" "${spec#*=}"
    done
    if [[ -z $esp_from ]]; then
        # 1 MiB before the partition (protective MBR + GPT), 1 MiB after it (backup GPT).
        disk=$tmp/esp.img
        truncate -s $(((kib + 2048) * 1024)) "$disk"
        printf 'label: gpt\nlabel-id: %s\nstart=2048, size=%d, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=%s, name="ESP"\n' \
            "$ESP_DISK_GUID" $((kib * 2)) "$ESP_PART_GUID" | sfdisk -q "$disk" >/dev/null ||
            fail_early "sfdisk failed"
        dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none || fail_early "dd failed"
        rm -f "$esp"
    fi
    if [[ $arch == x86_64 ]]; then
        args+=(-drive "if=none,id=esp,format=raw,file=$disk" -device ide-hd,drive=esp,bus=ide.0)
    elif [[ $arch == riscv64 ]] && ((uboot)); then
        args+=(-drive "if=none,id=esp,format=raw,file=$disk" -device virtio-blk-device,drive=esp)
    else
        args+=(-drive "if=none,id=esp,format=raw,file=$disk" -device virtio-blk-pci,drive=esp)
    fi
fi

# --- TPM 2.0 via swtpm (common.sh: the firmware sends TPM2_Startup itself). ---
if ((tpm)); then
    swtpm_start_qemu "$tmp/tpm" >"$tmp/swtpm.err" || fail_early "$(cat "$tmp/swtpm.err")"
    if [[ $arch == x86_64 ]]; then tpmdev="tpm-tis"; else tpmdev="tpm-tis-device"; fi
    args+=(-chardev "socket,id=chrtpm,path=$tmp/tpm/sock" -tpmdev emulator,id=tpm0,chardev=chrtpm
        -device "$tpmdev,tpmdev=tpm0")
fi

# --- HTTP boot: a one-file web server on the host; slirp's DHCP hands the guest its URL (libslirp
# adds the "HTTPClient" vendor class for an http:// boot file, which OVMF's HTTP boot wants). ---
if [[ -n $http_boot ]]; then
    mkdir -p "$tmp/http"
    http_name=$(basename "$http_boot")
    cp "$http_boot" "$tmp/http/$http_name" || fail_early "cannot copy $http_boot"
    python3 -c '
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()' "$tmp/http" >"$tmp/http.port" 2>"$tmp/http.log" &
    http_pid=$!
    for _ in $(seq 50); do
        [[ -s $tmp/http.port ]] && break
        sleep 0.1
    done
    http_port=$(head -n 1 "$tmp/http.port")
    [[ $http_port =~ ^[0-9]+$ ]] || fail_early "the HTTP server did not start: $(cat "$tmp/http.log")"
    echo "boot.sh: http-boot http://10.0.2.2:$http_port/$http_name"
    # romfile= keeps QEMU's iPXE ROM away, so the firmware's own VirtioNetDxe and HTTP boot
    # driver do the work.
    args+=(-netdev "user,id=net0,bootfile=http://10.0.2.2:$http_port/$http_name"
        -device virtio-net-pci,netdev=net0,romfile=,bootindex=1)
fi

if ((rng)); then
    if [[ $arch == riscv64 ]] && ((uboot)); then args+=(-device virtio-rng-device); else args+=(-device virtio-rng-pci); fi
fi
args+=("${qemu_extra[@]}")

# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------
echo "boot.sh: $qemu ${args[*]}"
: >"$tmp/serial.raw"
# -k: should QEMU ignore SIGTERM, SIGKILL follows 10 s later.
timeout -k 10 "$timeout_s" "$qemu" "${args[@]}" </dev/null >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!

# Stream the serial output while it comes in, without CRs and terminal escape sequences
# (the firmware clears the screen and sets colours).
clean_serial() { sed -u -e 's/\x1b\[[0-9;?=>]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' -e 's/\r//g'; }
tail -n +1 -s 0.2 -F --pid="$qemu_pid" "$tmp/serial.raw" 2>/dev/null | clean_serial &
stream_pid=$!

# Builds with a shell fall back to it; secure-boot builds (no shell) say so and wait for a key.
# A CPU exception in firmware context (e.g. a UBSan trap in the stub) dead-loops in the firmware's
# handler: OVMF prints "!!!! X64 Exception Type", AAVMF "Synchronous Exception at".
((default_stop)) && stop_ons+=('Kernel panic - not syncing' 'Boot[0-9A-F]{4} "EFI Internal Shell"'
    'BdsDxe: No bootable option or device was found' '!!!! X64 Exception Type' 'Synchronous Exception at')
# U-Boot: back at its prompt when no boot flow started an OS; a CPU exception resets it.
# (riscv64: "Unhandled exception: ..." and a register dump, then a hang)
((default_stop && uboot)) && stop_ons+=('^=> ?$' '"Synchronous Abort" handler' '^Unhandled exception: ')
stopped=""
while kill -0 "$qemu_pid" 2>/dev/null; do
    if [[ -n $tpm_fault_on ]]; then
        sleep 0.1
        if grep -aEq -- "$tpm_fault_on" "$tmp/serial.raw"; then
            kill -"$tpm_fault_signal" "$swtpm_pid"
            echo "boot.sh: sent SIG$tpm_fault_signal to swtpm at $(elapsed) s, on /$tpm_fault_on/"
            tpm_fault_on=""
        fi
        continue
    fi
    sleep 0.5
    for re in "${stop_ons[@]}"; do
        if grep -aEq -- "$re" "$tmp/serial.raw"; then
            stopped=$re
            break
        fi
    done
    if [[ -n $stopped ]]; then
        sleep 1 # let the rest of the message (e.g. a panic trace) arrive
        kill "$qemu_pid" 2>/dev/null
        break
    fi
done
wait "$qemu_pid"
qemu_rc=$?
qemu_pid=""
wait "$stream_pid" 2>/dev/null
stream_pid=""
# What the firmware and the stub left behind, for a next boot on the same state.
if [[ -n $save_vars ]]; then
    ((uboot)) && fail_early "--save-vars: U-Boot keeps its variables in memory"
    cp --sparse=always "$tmp/vars.fd" "$save_vars" || fail_early "cannot save the variable store to $save_vars"
fi
if [[ -n $save_esp ]]; then
    cp --sparse=always "$tmp/esp.img" "$save_esp" || fail_early "cannot save the ESP to $save_esp"
fi

log=${log_file:-$tmp/serial.log}
[[ -n $log_file ]] && mkdir -p "$(dirname "$log_file")"
clean_serial <"$tmp/serial.raw" >"$log"
if [[ -s $tmp/qemu.out ]]; then
    sed 's/^/qemu: /' "$tmp/qemu.out"
fi

# ---------------------------------------------------------------------------------------------
# Verdict
# ---------------------------------------------------------------------------------------------
problems=()
for re in "${expects[@]}"; do
    grep -aEq -- "$re" "$log" || problems+=("expected output not seen: /$re/")
done
for re in "${expect_nots[@]}"; do
    grep -aEq -- "$re" "$log" && problems+=("unexpected output seen: /$re/")
done
how=""
if [[ -n $stopped ]]; then
    how="stopped on /$stopped/"
elif ((qemu_rc == 124 || qemu_rc == 137)); then
    how="timed out after $timeout_s s"
elif ((qemu_rc != 0)); then
    problems+=("$qemu exited with status $qemu_rc")
fi

echo "boot.sh: elapsed $(elapsed) s${how:+ ($how)}"
if ((${#problems[@]})); then
    reason=$(printf '%s; ' "${problems[@]}")
    echo "boot.sh: FAIL: ${reason%; }${how:+ ($how)}"
    exit 1
fi
echo "boot.sh: PASS"
exit 0
