#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The arm64 UKI benchmark (zuki issue 20, item 1), and with --arch riscv64 the riscv64 one (issue
# 19): the same UKI — Debian bookworm's arm64 Image (trixie's riscv64 Image), the test initrd, the
# same command line, os-release and .uname — built twice,
#   systemd  ukify + systemd-stub, 262 by default (the kernel as it is: an uncompressed Image)
#   zuki     zuki build on the zuki stub (which wraps the kernel into a zstd zboot image)
# and compared: file sizes, the bytes the stub hashes into PCR 11 (the measured sections'
# VirtualSize, as systemd-stub measures them), and boot-to-init time with a TPM (swtpm) under
# AAVMF and U-Boot (QEMU TCG, rounds alternating the two UKIs). Every figure is a ratio
# zuki/systemd from the same run. Prints a table, writes JSON. Not part of `meson test`.
# riscv64 boots under U-Boot only (trixie's EDK2 for RISC-V prints nothing under QEMU 7.2) and
# without a TPM (neither of Debian's riscv64 U-Boot builds has a TPM driver).
#
# Usage: bench/arm64-uki.sh [--arch aarch64|riscv64] [--json PATH] [--rounds N] [--firmware LIST]
#                           [--reference 262|257] [--logs DIR] [--no-build] BUILD_DIR
#   BUILD_DIR    a configured zuki build directory
#   --arch       aarch64 (default) or riscv64
#   --json       where to write the results (default: BUILD_DIR/bench-arm64-uki.json, or
#                bench-riscv64-uki.json)
#   --rounds     QEMU rounds per firmware, each booting both UKIs once (default 3)
#   --firmware   comma-separated boot.sh firmwares (default: bookworm,uboot-trixie; riscv64:
#                uboot-trixie; edk2-trixie adds EDK2 RISC-V under trixie's QEMU)
#   --reference  the systemd-stub and ukify to compare with: sid's 262 (default) or trixie's 257
#                (aarch64 only)
#   --logs       keep every boot's time-stamped serial log in DIR
#   --no-build   do not run ninja (zuki, the aa64 stub and test/initrd-aa64.cpio.gz must be built)

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=
json=
rounds=3
arch=aarch64
firmware=
reference=262
logs=
do_build=1

while [ $# -gt 0 ]; do
        case $1 in
        --arch) arch=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --firmware) firmware=$2; shift 2 ;;
        --reference) reference=$2; shift 2 ;;
        --logs) logs=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        -h | --help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "arm64-uki.sh: unknown option $1" >&2; exit 2 ;;
        *) build=$1; shift ;;
        esac
done
[[ $rounds =~ ^[0-9]+$ ]] || { echo "arm64-uki.sh: --rounds wants a number (0: sizes only)" >&2; exit 2; }
[ -n "$build" ] || { echo "usage: arm64-uki.sh [--rounds N] BUILD_DIR" >&2; exit 2; }

log() { echo "bench: $*" >&2; }
die() { echo "arm64-uki.sh: $*" >&2; exit 1; }

case $arch in
aarch64) short=arm64 stub_name=zukiaa64 firmware=${firmware:-bookworm,uboot-trixie} ;;
riscv64) short=riscv64 stub_name=zukiriscv64 firmware=${firmware:-uboot-trixie} ;;
*) die "--arch wants aarch64 or riscv64, not $arch" ;;
esac
build=$(cd "$build" && pwd)
json=${json:-$build/bench-$short-uki.json}
targets=(src/zuki/zuki "src/boot/$stub_name.efi.stub")
[ "$arch" = aarch64 ] && targets+=(test/initrd-aa64.cpio.gz)
if [ "$do_build" = 1 ]; then
        log "building ${targets[*]}"
        ninja -C "$build" "${targets[@]}" >&2
fi
zuki=$build/src/zuki/zuki
stub=$build/src/boot/$stub_name.efi.stub
for f in "$zuki" "$stub"; do
        [ -e "$f" ] || die "$f is missing (build $build first)"
done

assets=${ZUKI_ASSETS_ENV:-/var/cache/zuki/assets.env}
[ -f "$assets" ] || die "no $assets (run tools/setup.sh)"
# shellcheck disable=SC1090
. "$assets"
python=${ZUKI_PYTHON:-/usr/bin/python3}
case $arch/$reference in
aarch64/262) sd_stub=${ZUKI_SYSTEMD262_STUB_AA64:-} ukify=${ZUKI_UKIFY262:-} ;;
aarch64/257) sd_stub=${ZUKI_SYSTEMD_STUB_AA64:-} ukify=${ZUKI_UKIFY:-} ;;
riscv64/262) sd_stub=${ZUKI_SYSTEMD262_STUB_RISCV64:-} ukify=${ZUKI_UKIFY262:-} ;;
*) die "--reference wants 262 or 257 (aarch64) or 262 (riscv64), not $reference" ;;
esac
if [ "$arch" = aarch64 ]; then
        kernel=${ZUKI_KERNEL_BOOKWORM_ARM64:-} release=${ZUKI_KERNEL_BOOKWORM_ARM64_RELEASE:-}
        cmdline="console=ttyAMA0 panic=-1" qemu=qemu-system-aarch64 tpm=()
else
        kernel=${ZUKI_KERNEL_TRIXIE_RISCV64:-} release=${ZUKI_KERNEL_TRIXIE_RISCV64_RELEASE:-}
        cmdline="console=ttyS0 panic=-1" qemu=qemu-system-riscv64 tpm=(--no-tpm)
fi
for f in "$kernel" "$sd_stub" "$ukify"; do
        [ -n "$f" ] || die "an asset is missing: $short kernel, systemd-stub $short or ukify (run tools/setup.sh)"
        [ -f "$f" ] || die "$f is missing (run tools/setup.sh)"
done
[ -n "$release" ] || die "the $short kernel's release is not in $assets (run tools/setup.sh)"
"$python" -c 'import pefile' 2>/dev/null || die "$python has no pefile (python3-pefile)"
command -v "$qemu" >/dev/null || die "$qemu is not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/zuki-$short-uki.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ "$arch" = aarch64 ]; then
        initrd=$build/test/initrd-aa64.cpio.gz
        [ -e "$initrd" ] || die "$initrd is missing (build $build first)"
else
        # The riscv64 test initrd is made per run, as test/riscv/test-uboot-riscv64.sh makes it.
        initrd=$work/initrd.cpio.gz
        bash "$src/test/qemu/make-initrd.sh" "$initrd" --arch riscv64 \
                ${ZUKI_EFIVARFS_TRIXIE_RISCV64:+--efivarfs "$ZUKI_EFIVARFS_TRIXIE_RISCV64"} >/dev/null ||
                die "test/qemu/make-initrd.sh --arch riscv64 failed"
fi

osrel=$src/test/uki/os-release
sd_version=$("$python" - "$sd_stub" <<'EOF'
import re, sys
m = re.search(rb"LoaderInfo: systemd-stub ([0-9][^ \x00]*)", open(sys.argv[1], "rb").read())
if not m:
    m = re.search(rb"systemd-stub ([0-9][0-9][0-9][^ \x00]*)", open(sys.argv[1], "rb").read())
print(m.group(1).decode() if m else "?")
EOF
)

log "building the systemd UKI (ukify + systemd-stub $sd_version)"
t=$(date +%s.%N)
PYTHONPATH=${ZUKI_UKIFY_PYTHONPATH:-} "$python" "$ukify" build --stub "$sd_stub" --linux "$kernel" \
        --initrd "$initrd" --cmdline "$cmdline" --os-release "@$osrel" --uname "$release" \
        --output "$work/systemd.efi" >&2
sd_build_s=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
log "building the zuki UKI (zuki build, zstd -19)"
t=$(date +%s.%N)
"$zuki" build --stub "$stub" --linux "$kernel" --initrd "$initrd" --cmdline "$cmdline" \
        --os-release "@$osrel" --uname "$release" --output "$work/zuki.efi" >&2
zuki_build_s=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')

if [ "$rounds" -gt 0 ]; then
        log "QEMU: $rounds rounds x 2 UKIs on $firmware, one guest at a time"
        "$python" "$src/bench/arm64-uki-qemu.py" --boot-sh "$src/test/qemu/boot.sh" --firmware "$firmware" \
                --arch "$arch" "${tpm[@]}" --rounds "$rounds" ${logs:+--logs "$logs"} --json "$work/boots.json" \
                "systemd=$work/systemd.efi" "zuki=$work/zuki.efi" ||
                die "a boot failed (see above; --logs DIR keeps the serial logs)"
else
        echo "[]" >"$work/boots.json"
fi

"$python" - "$work" "$json" "$cmdline" "$sd_stub" "$sd_version" "$kernel" "$release" "$firmware" \
        "$sd_build_s" "$zuki_build_s" "$arch" <<'EOF'
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pefile

work, out = Path(sys.argv[1]), Path(sys.argv[2])
cmdline, sd_stub, sd_version, kernel, release, firmwares = sys.argv[3:9]
build_s = {"systemd": float(sys.argv[9]), "zuki": float(sys.argv[10])}
arch = sys.argv[11]
firmwares = firmwares.split(",")
NAMES = ["systemd", "zuki"]
# The sections systemd-stub 257 and 262 measure into PCR 11 (unified_sections[] up to .efifw), each its
# VirtualSize bytes; zuki's stub measures the same list.
MEASURED = [".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash", ".dtb", ".uname", ".sbat",
            ".pcrpkey", ".profile", ".dtbauto", ".hwids", ".efifw"]


def sections(path):
    pe = pefile.PE(str(path), fast_load=True)
    out = {}
    for s in pe.sections:
        name = s.Name.rstrip(b"\0").decode("ascii", "replace")
        out[name] = {"virtual_size": s.Misc_VirtualSize, "raw_size": s.SizeOfRawData}
    pe.close()
    return out


sizes = {}
for n in NAMES:
    secs = sections(work / f"{n}.efi")
    measured = {k: v["virtual_size"] for k, v in secs.items() if k in MEASURED}
    sizes[n] = {"file": (work / f"{n}.efi").stat().st_size, "sections": secs, "measured": measured,
                "pcr11_bytes": sum(measured.values()), "build_s": build_s[n]}
sizes["ratio_file"] = sizes["zuki"]["file"] / sizes["systemd"]["file"]
sizes["ratio_pcr11_bytes"] = sizes["zuki"]["pcr11_bytes"] / sizes["systemd"]["pcr11_bytes"]

boots = json.loads((work / "boots.json").read_text())


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


boot = {}
for fw in firmwares:
    mine = [b for b in boots if b["firmware"] == fw]
    if not mine:
        continue
    per = {}
    for n in NAMES:
        bs = [b for b in mine if b["name"] == n]
        per[n] = {k: med([b["seconds"].get(k) for b in bs]) for k in ("linux_version", "init_booted")}
        per[n]["init_booted_all"] = [b["seconds"].get("init_booted") for b in bs]
        per[n]["boots"] = len(bs)
    pairs = []
    for r in sorted({b["round"] for b in mine}):
        s = next((b for b in mine if b["name"] == "systemd" and b["round"] == r), None)
        z = next((b for b in mine if b["name"] == "zuki" and b["round"] == r), None)
        if s and z and "init_booted" in s["seconds"] and "init_booted" in z["seconds"]:
            pairs.append(z["seconds"]["init_booted"] / s["seconds"]["init_booted"])
    a, z = per["systemd"]["init_booted"], per["zuki"]["init_booted"]
    per["ratio_init_booted_medians"] = z / a if a and z else None
    per["ratio_init_booted_paired"] = pairs
    per["ratio_init_booted_paired_median"] = med(pairs)
    boot[fw] = per

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.machine())
results = {
    "date": time.strftime("%Y-%m-%d"),
    "host": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(), "load_average": os.getloadavg()},
    "kernel": kernel, "release": release, "cmdline": cmdline,
    "reference": {"stub": sd_stub, "version": sd_version, "built_with": "ukify " + sd_version},
    "notes": [
        f"Reference: systemd-stub and ukify {sd_version} from assets.env (--reference).",
        "pcr11_bytes: the sum of the VirtualSize of the sections systemd-stub measures into PCR 11.",
        ("Boots: test/qemu/boot.sh --arch aarch64 --tpm (swtpm), QEMU TCG virt cortex-a57, 1 GiB, 1 vCPU; "
         "AAVMF boots the UKI with -kernel, U-Boot from an ESP." if arch == "aarch64" else
         "Boots: test/qemu/boot.sh --arch riscv64 --rng, no TPM (Debian's riscv64 U-Boot has no TPM driver), "
         "QEMU TCG virt with OpenSBI, U-Boot boots the UKI from an ESP.") +
        " Seconds from QEMU's start (boot.sh's command line) to init's 'ZUKI-GUEST: booted' line reaching the "
        "host (boot.sh streams the log every 0.2 s).",
    ],
    "arch": arch,
    "sizes": sizes,
    "boot": boot,
    "boots": boots,
}
out.write_text(json.dumps(results, indent=2) + "\n")


def f(x, fmt="{:8.2f}"):
    return fmt.format(x) if x is not None else "       -"


print(f"zuki {arch} UKI benchmark on {cpu} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}); "
      f"reference: systemd-stub {sd_version}")
print(f"kernel {release} ({Path(kernel).stat().st_size} bytes), cmdline '{cmdline}'\n")
print(f"{'':<40} {'systemd':>12} {'zuki':>12} {'zuki/systemd':>13}")
s, z = sizes["systemd"], sizes["zuki"]
print(f"{'UKI file bytes':<40} {s['file']:>12} {z['file']:>12} {sizes['ratio_file']:>13.3f}")
print(f"{'  .linux (VirtualSize)':<40} {s['measured'].get('.linux', 0):>12} {z['measured'].get('.linux', 0):>12}"
      f" {z['measured'].get('.linux', 0) / s['measured'].get('.linux', 1):>13.3f}")
print(f"{'bytes hashed into PCR 11':<40} {s['pcr11_bytes']:>12} {z['pcr11_bytes']:>12} {sizes['ratio_pcr11_bytes']:>13.3f}")
print(f"{'  measured sections':<40} {len(s['measured']):>12} {len(z['measured']):>12}")
print(f"{'build time (s, one run)':<40} {s['build_s']:>12.2f} {z['build_s']:>12.2f}")
for fw, per in boot.items():
    pm = per["ratio_init_booted_paired_median"]
    print(f"{'boot-to-init, ' + fw + ' (median s)':<40} {f(per['systemd']['init_booted'], '{:12.2f}')}"
          f" {f(per['zuki']['init_booted'], '{:12.2f}')} {f(per['ratio_init_booted_medians'], '{:13.3f}')}"
          f"  (paired {f(pm, '{:.3f}')}, {per['zuki']['boots']} rounds)")
    print(f"{'  Linux version (median s)':<40} {f(per['systemd']['linux_version'], '{:12.2f}')}"
          f" {f(per['zuki']['linux_version'], '{:12.2f}')}")
print(f"\nJSON: {out}")
EOF
