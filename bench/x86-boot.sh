#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The x86_64 direct boot benchmarks (zuki issue 6): for Debian's amd64 kernels, three UKIs with the
# same kernel, busybox initrd and command line —
#   A  systemd-stub 257 + the stock bzImage (zuki build --stub <systemd-stub> --no-compress)
#   B  zuki generic path (--x86-boot=efistub: zstd-wrapped bzImage, the kernel's EFI stub and its
#      own decompressor run after ours)
#   C  zuki direct path (--x86-boot=direct: zstd flat vmlinux, the stub enters startup_64)
# — their sizes, their QEMU boot timings (TCG, bookworm OVMF, no TPM, no RNG; rounds alternate the
# variants), and the decompression phase on the host (the bzImage's own codec through the
# distribution's library against the stub's zstd path on the direct payload, one process,
# alternating). Prints a table, writes JSON. Not part of `meson test`. See README.md.
#
# Usage: bench/x86-boot.sh [--json PATH] [--rounds N] [--decompress-rounds N] [--kernels LIST]
#                          [--logs DIR] [--no-build] [BUILD_DIR]
#   BUILD_DIR            a zuki build directory (default: a fresh one under /tmp, built here)
#   --json               where to write the results (default: BUILD_DIR/x86-boot.json)
#   --rounds             QEMU rounds, each booting every UKI once (default 5)
#   --decompress-rounds  host decompression rounds per side, best-of (default 9)
#   --kernels            comma-separated: bookworm, trixie (default: both, those present)
#   --logs               keep every boot's time-stamped serial log in DIR
#   --no-build           do not run ninja (the targets must be built)

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
build=
json=
rounds=5
decompress_rounds=9
kernels=bookworm,trixie
logs=
do_build=1

while [ $# -gt 0 ]; do
        case $1 in
        --json) json=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --decompress-rounds) decompress_rounds=$2; shift 2 ;;
        --kernels) kernels=$2; shift 2 ;;
        --logs) logs=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        -h | --help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "x86-boot.sh: unknown option $1" >&2; exit 2 ;;
        *) build=$1; shift ;;
        esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "x86-boot.sh: --rounds wants a positive number" >&2; exit 2; }
if ! [[ $decompress_rounds =~ ^[0-9]+$ ]] || ((decompress_rounds < 3)); then
        echo "x86-boot.sh: --decompress-rounds wants at least 3" >&2
        exit 2
fi

log() { echo "bench: $*" >&2; }
die() { echo "x86-boot.sh: $*" >&2; exit 1; }

if [ -z "$build" ]; then
        build=$(mktemp -d "${TMPDIR:-/tmp}/zuki-bench-build.XXXXXX")
        log "configuring a fresh build in $build"
        meson setup "$build" "$src" >"$build/setup.log" 2>&1 || { cat "$build/setup.log" >&2; exit 1; }
fi
build=$(cd "$build" && pwd)
json=${json:-$build/x86-boot.json}

targets=(src/zuki/zuki src/boot/zukix64.efi.stub bench/zuki-bench-x86-decompress
         bench/libzuki-bench-stub-zstd-clang.so)
if [ "$do_build" = 1 ]; then
        log "building ${targets[*]}"
        ninja -C "$build" "${targets[@]}" >&2
fi
zuki=$build/src/zuki/zuki
stub=$build/src/boot/zukix64.efi.stub
decompress=$build/bench/zuki-bench-x86-decompress
# The stub's zstd path as the firmware runs it: clang with the stub's flags (bench/meson.build).
stub_zstd=$build/bench/libzuki-bench-stub-zstd-clang.so
for f in "$zuki" "$stub" "$decompress" "$stub_zstd"; do
        [ -e "$f" ] || die "$f is missing (build $build first)"
done

assets=${ZUKI_ASSETS_ENV:-/var/cache/zuki/assets.env}
[ -f "$assets" ] || die "no $assets (run tools/setup.sh)"
# shellcheck disable=SC1090
. "$assets"
sd_stub=${ZUKI_SYSTEMD_STUB_X64:-}
ovmf_code=${ZUKI_OVMF_BOOKWORM_CODE:-}
ovmf_vars=${ZUKI_OVMF_BOOKWORM_VARS:-}
for f in "$sd_stub" "$ovmf_code" "$ovmf_vars"; do
        [ -n "$f" ] || die "an asset is missing: systemd-stub or bookworm OVMF (run tools/setup.sh)"
        [ -f "$f" ] || die "$f is missing (run tools/setup.sh)"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed"

# name kernel-path
cases=()
IFS=, read -ra wanted <<<"$kernels"
for k in "${wanted[@]}"; do
        case $k in
        bookworm) path=${ZUKI_KERNEL_BOOKWORM_AMD64:-} ;;
        trixie) path=${ZUKI_KERNEL_TRIXIE_AMD64:-} ;;
        *) die "unknown kernel $k (bookworm, trixie)" ;;
        esac
        if [ -n "$path" ] && [ -f "$path" ]; then
                cases+=("$k $path")
        else
                log "no $k amd64 kernel in $assets, leaving it out"
        fi
done
[ ${#cases[@]} -gt 0 ] || die "no kernels"

work=$(mktemp -d "${TMPDIR:-/tmp}/zuki-x86-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One initrd for every UKI: busybox and test/qemu/guest-init.sh, which prints "ZUKI-GUEST: booted"
# first thing. No efivarfs.ko, so it is the same bytes for both kernels.
bash "$src/test/qemu/make-initrd.sh" "$work/initrd.cpio.gz" >&2
# The same command line is embedded (.cmdline) and passed with -append (the load options, which
# both stubs use with Secure Boot off). earlyprintk makes "Linux version" reach the serial port
# from the kernel's first printk (the boot console replays it in setup_arch), instead of when the
# real console registers, well into start_kernel.
cmdline="console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1"

qemu_args=()
for c in "${cases[@]}"; do
        read -r name kernel <<<"$c"
        log "$name: building the UKIs for $kernel"
        # A: what test/meson.build's 'systemd-stub' UKI case does, with the stock bzImage as .linux.
        "$zuki" build --stub "$sd_stub" --no-compress --linux "$kernel" --initrd "$work/initrd.cpio.gz" \
                --cmdline "$cmdline" --output "$work/$name-A.efi" >&2
        for v in B:efistub C:direct; do
                letter=${v%%:*} mode=${v#*:}
                "$zuki" zboot --stub "$stub" --x86-boot="$mode" --json --output "$work/$name-$letter.zboot.efi" \
                        "$kernel" >"$work/$name-$letter.zboot.json"
                "$zuki" build --stub "$stub" --linux "$work/$name-$letter.zboot.efi" --initrd "$work/initrd.cpio.gz" \
                        --cmdline "$cmdline" --output "$work/$name-$letter.efi" >&2
        done
        for letter in A B C; do
                "$zuki" inspect --json "$work/$name-$letter.efi" >"$work/$name-$letter.inspect.json"
                qemu_args+=("$name-$letter=$work/$name-$letter.efi")
        done

        # The decompression phase on the host: the bzImage's own payload (setup header
        # payload_offset/payload_length, a 4-byte size trailer after the stream) against the
        # direct zboot image's zstd frame (offsets from `zuki inspect --json`).
        read -r stock_size < <("$python" - "$kernel" "$work/$name.stock" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
setup_sects = b[0x1F1] or 4
offset, length = struct.unpack_from("<II", b, 0x248)
start = (setup_sects + 1) * 512 + offset
payload = b[start : start + length]
open(sys.argv[2], "wb").write(payload[:-4])
print(struct.unpack("<I", payload[-4:])[0])
EOF
)
        "$zuki" inspect --json "$work/$name-C.zboot.efi" >"$work/$name-C.zboot.inspect.json"
        read -r offset size usize < <("$python" -c '
import json, sys
z = json.load(open(sys.argv[1]))["zboot"]
assert z["codec"] == "zstd", z
print(z["payload_offset"], z["payload_size"], z["uncompressed_size"])' "$work/$name-C.zboot.inspect.json")
        tail -c +$((offset + 1)) "$work/$name-C.zboot.efi" | head -c "$size" >"$work/$name.direct.zst"
        log "$name: host decompression, $decompress_rounds rounds"
        "$decompress" --json --rounds "$decompress_rounds" "$work/$name.stock" "$stock_size" "$stub_zstd" \
                "$work/$name.direct.zst" "$usize" >"$work/$name.decompress.json"
done

log "QEMU: $rounds rounds of ${#qemu_args[@]} boots, one at a time"
"$python" "$src/bench/x86-boot-qemu.py" --code "$ovmf_code" --vars "$ovmf_vars" --append "$cmdline" \
        --rounds "$rounds" ${logs:+--logs "$logs"} --json "$work/boots.json" "${qemu_args[@]}" ||
        die "a boot failed (see above; --logs DIR keeps the serial logs)"

"$python" - "$work" "$json" "$cmdline" "$sd_stub" "${cases[@]%% *}" <<'EOF'
import json
import os
import platform
import statistics
import sys
from pathlib import Path

work, out, cmdline, sd_stub, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
VARIANTS = {"A": "systemd-stub 257 + bzImage", "B": "zuki generic (efistub)", "C": "zuki direct"}
boots = json.loads((work / "boots.json").read_text())


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def phases(b):
    """Derived per-boot phases (seconds) from the serial time stamps and the stub's TSC count.
    Under TCG the guest's RDTSC reads the host TSC; the guest kernel's own calibration gives its rate."""
    s, p = b["seconds"], dict(b["seconds"])
    mhz = b["guest_tsc_mhz"]
    if b["stub_cycles"] is not None and mhz:
        p["stub_run"] = b["stub_cycles"] / (mhz * 1e6)
        if "stub_handover" in s:
            p["stub_entry"] = s["stub_handover"] - p["stub_run"]
    if "kernel_efi_stub" in s:
        # From our handover (B) or QEMU start (A) to the kernel EFI stub's initrd line, which this
        # kernel's stub prints after it has decompressed the kernel.
        p["kernel_efi_stub_phase"] = s["kernel_efi_stub"] - s.get("stub_handover", 0.0)
    if "linux_version" in s and "init_booted" in s:
        p["kernel_to_init"] = s["init_booted"] - s["linux_version"]
    return p


KEYS = ["stub_entry", "stub_run", "kernel_efi_stub_phase", "linux_version", "kernel_to_init", "init_booted"]
summary = {}
for name in names:
    per = {}
    for letter in "ABC":
        mine = [phases(b) for b in boots if b["name"] == f"{name}-{letter}"]
        per[letter] = {k: med([p.get(k) for p in mine]) for k in KEYS}
        per[letter]["boots"] = len(mine)
        per[letter]["stub_cycles_median"] = med([b["stub_cycles"] for b in boots if b["name"] == f"{name}-{letter}"])
    # Paired by round: each round booted every variant once, so the per-round ratio is the
    # comparison least disturbed by a neighbour's load.
    rounds = sorted({b["round"] for b in boots})
    for letter in "BC":
        for key in ("linux_version", "init_booted"):
            pairs = []
            for r in rounds:
                a = next((b for b in boots if b["name"] == f"{name}-A" and b["round"] == r), None)
                x = next((b for b in boots if b["name"] == f"{name}-{letter}" and b["round"] == r), None)
                if a and x and key in a["seconds"] and key in x["seconds"]:
                    pairs.append(x["seconds"][key] / a["seconds"][key])
            per[letter][f"{key}_ratio_to_A_paired_median"] = med(pairs)
            a_med, x_med = per["A"][key], per[letter][key]
            per[letter][f"{key}_ratio_to_A"] = x_med / a_med if a_med and x_med else None
    summary[name] = per

kernels = {}
for name in names:
    sizes = {}
    for letter in "ABC":
        inspect = json.loads((work / f"{name}-{letter}.inspect.json").read_text())
        linux = next((s for s in inspect["pe"]["sections"] if s["name"] == ".linux"), None)
        sizes[letter] = {"uki": inspect["size"], "linux_section": linux["virtual_size"] if linux else None}
    zboot = {l: json.loads((work / f"{name}-{l}.zboot.json").read_text()) for l in "BC"}
    kernels[name] = {"sizes": sizes, "zboot": zboot,
                     "decompress": json.loads((work / f"{name}.decompress.json").read_text()),
                     "boot": summary[name]}

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.machine())
results = {
    "host": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
             "load_average": os.getloadavg()},
    "cmdline": cmdline, "systemd_stub": sd_stub, "variants": VARIANTS,
    "notes": [
        "QEMU TCG (no KVM), bookworm OVMF 2022.11, q35, 1 GiB, 1 vCPU, -kernel UKI -append CMDLINE, no TPM, no RNG.",
        "Times are host monotonic seconds from QEMU's start to the serial line's arrival.",
        "stub_run = the stub's printed TSC count / the guest kernel's TSC calibration (TCG's RDTSC is the host TSC).",
        "systemd-stub prints nothing on success: A has no stub time stamp; A's kernel_efi_stub_phase counts from QEMU start.",
        "The kernel's EFI stub prints 'Loaded initrd' after decompressing the kernel (x86 EFI-stub decompression, "
        "in Debian's 6.1 as in 6.12), so B's kernel_efi_stub_phase is mostly the kernel's own XZ/zstd decompression under TCG.",
        "Host decompression: stock = the bzImage payload through liblzma (XZ) or the system libzstd; the kernel's "
        "boot-time decoders (lib/xz, lib/zstd) are other implementations. direct = the stub's zstd path (clang build) "
        "on zuki's direct payload. Outputs differ (ELF vs laid-out image): the time ratio is the figure.",
    ],
    "kernels": kernels,
    "boots": boots,
}
out.write_text(json.dumps(results, indent=2) + "\n")


def f(x, fmt="{:6.2f}"):
    return fmt.format(x) if x is not None else "     -"


print(f"zuki x86_64 boot benchmarks on {cpu} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})\n")
for name in names:
    k = kernels[name]
    rel = k["zboot"]["C"].get("release", "?")
    print(f"{name} ({rel})")
    print("  UKI sizes (bytes; ratio = size / A)")
    for letter in "ABC":
        s = k["sizes"][letter]
        print(f"    {letter} {VARIANTS[letter]:<28} {s['uki']:>10} {s['uki'] / k['sizes']['A']['uki']:6.3f}"
              f"   .linux {s['linux_section']:>10}")
    d = k["decompress"]
    print(f"  Host decompression (best of {d['rounds']}, alternating; MB/s of output)")
    for side in ("stock", "direct"):
        x = d[side]
        print(f"    {side:<6} {x['codec']:<4} {x['library']:<38} {x['input_size']:>9} -> {x['output_size']:>9}"
              f"  {x['best_s']:6.3f} s {x['best_mb_s']:7.1f} MB/s")
    if d["stock"]["codec"] == "xz":
        goal = "goal >= 4x: " + ("met" if d["time_ratio_best"] >= 4 else "NOT met")
    else:
        goal = f"the stock payload is already {d['stock']['codec']}: the 4x goal is about XZ kernels"
    print(f"    time ratio stock/direct {d['time_ratio_best']:.2f} (median {d['time_ratio_median']:.2f}; {goal})")
    b = k["boot"]
    print(f"  QEMU boot (TCG; medians of {b['A']['boots']} boots, seconds from QEMU start; ratio = / A, paired by round)")
    print(f"    {'':<30} {'stub entry':>10} {'stub run':>9} {'kern stub':>9} {'Linux ver':>9} {'ratio':>6}"
          f" {'->init':>7} {'init':>7} {'ratio':>6}")
    for letter in "ABC":
        v = b[letter]
        print(f"    {letter} {VARIANTS[letter]:<28} {f(v['stub_entry']):>10} {f(v['stub_run']):>9}"
              f" {f(v['kernel_efi_stub_phase']):>9} {f(v['linux_version']):>9}"
              f" {f(v.get('linux_version_ratio_to_A_paired_median'), '{:6.3f}'):>6}"
              f" {f(v['kernel_to_init']):>7} {f(v['init_booted']):>7}"
              f" {f(v.get('init_booted_ratio_to_A_paired_median'), '{:6.3f}'):>6}")
    for letter in "BC":
        c = b[letter]["stub_cycles_median"]
        print(f"    {letter} stub entry -> kernel entry: {c:.0f} cycles (median)" if c else f"    {letter}: no cycles line")
    faster = b["C"]["init_booted"] < b["A"]["init_booted"]
    print(f"    boot-to-init, direct vs systemd-stub: {'faster' if faster else 'NOT faster'} "
          f"({b['C']['init_booted']:.2f} s vs {b['A']['init_booted']:.2f} s)\n")
print("  stub entry = QEMU start to the stub's entry (firmware, incl. loading the UKI through fw_cfg)")
print("  stub run = the stub's own time to its handover (TSC); kern stub = the kernel's EFI stub, decompressor")
print("  included (B: from our handover; A: from QEMU start, so firmware + systemd-stub + kernel EFI stub)")
print("  Linux ver = the kernel's first printk; ->init = from there to init's first line")
print(f"\nJSON: {out}")
EOF
