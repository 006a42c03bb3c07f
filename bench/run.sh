#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# One command for zuki's benchmarks: sizes (kernel, gzip -9, zstd -19 --long, zuki zboot image)
# and decompression speed (the stub's zstd path against the system libzstd, same payload, same
# process), for the x86_64 and arm64 Debian kernels. Prints a table, writes JSON. See README.md.
#
# Usage: bench/run.sh [--json PATH] [--rounds N] [--cpu-time] [--x86-boot] [--no-build] [BUILD_DIR]
#   BUILD_DIR  a zuki build directory (default: a fresh one under /tmp, configured and built here)
#   --json     where to write the results (default: BUILD_DIR/bench.json)
#   --rounds   decompression rounds per implementation, best-of (default 9, at least 5)
#   --cpu-time time decompression samples in the thread's CPU time instead of wall time (for a
#              machine shared with other work: the time other processes run is left out)
#   --x86-boot then also run bench/x86-boot.sh (x86_64 direct boot: UKI sizes, QEMU boot timings,
#              XZ against zstd; about 10 minutes) on the same build, JSON in BUILD_DIR/x86-boot.json
#   --no-build do not run ninja (used by `meson compile bench`, which builds the targets first)

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
python=/usr/bin/python3
build=
json=
rounds=9
do_build=1
x86_boot=0
clock_args=()

while [ $# -gt 0 ]; do
        case $1 in
        --json) json=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        --cpu-time) clock_args=(--cpu-time); shift ;;
        --x86-boot) x86_boot=1; shift ;;
        -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) build=$1; shift ;;
        esac
done

log() { echo "bench: $*" >&2; }

if [ -z "$build" ]; then
        build=$(mktemp -d "${TMPDIR:-/tmp}/zuki-bench-build.XXXXXX")
        log "configuring a fresh build in $build"
        meson setup "$build" "$src" >"$build/setup.log" 2>&1 || { cat "$build/setup.log" >&2; exit 1; }
fi
build=$(cd "$build" && pwd)
json=${json:-$build/bench.json}

targets=(src/zuki/zuki src/boot/zukix64.efi.stub src/boot/zukiaa64.efi.stub bench/zuki-bench-decompress
         bench/zuki-bench-x86-decompress
         bench/libzuki-bench-stub-zstd-clang.so bench/libzuki-bench-stub-zstd-cc.so
         bench/libzuki-bench-stub-zstd-clang-noasm.so)
if [ "$do_build" = 1 ]; then
        known=$(ninja -C "$build" -t targets all | cut -d: -f1)
        wanted=()
        for t in "${targets[@]}"; do
                if grep -qxF "$t" <<<"$known"; then wanted+=("$t"); fi
        done
        log "building ${wanted[*]}"
        ninja -C "$build" "${wanted[@]}" >&2
fi

zuki=$build/src/zuki/zuki
bench=$build/bench/zuki-bench-decompress
for f in "$zuki" "$bench"; do
        [ -x "$f" ] || { echo "run.sh: $f is missing (build $build first)" >&2; exit 1; }
done
# The stub-path builds, headline first; those this host/toolchain did not build are skipped.
stub_args=()
for v in clang clang-noasm cc; do
        lib=$build/bench/libzuki-bench-stub-zstd-$v.so
        if [ -f "$lib" ]; then stub_args+=(--stub "stub-$v=$lib"); fi
done
[ ${#stub_args[@]} -gt 0 ] || { echo "run.sh: no libzuki-bench-stub-zstd-*.so in $build/bench" >&2; exit 1; }

# Kernels: the Debian kernels tools/setup.sh fetched (assets.env), overridable from the environment.
assets=${ZUKI_ASSETS_ENV:-/var/cache/zuki/assets.env}
if [ -f "$assets" ]; then
        # shellcheck disable=SC1090
        . "$assets"
fi
kernel_x86_64=${ZUKI_BENCH_KERNEL_X86_64:-${ZUKI_KERNEL_BOOKWORM_AMD64:-}}
kernel_arm64=${ZUKI_BENCH_KERNEL_ARM64:-${ZUKI_KERNEL_BOOKWORM_ARM64:-}}
# Debian 13's kernel: its direct payload is the other x86_64 payload of issue 20's decoder goal.
kernel_x86_64_trixie=${ZUKI_BENCH_KERNEL_X86_64_TRIXIE:-${ZUKI_KERNEL_TRIXIE_AMD64:-}}

work=$(mktemp -d "${TMPDIR:-/tmp}/zuki-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# arch, kernel, stub
cases=()
[ -n "$kernel_x86_64" ] && [ -f "$kernel_x86_64" ] && cases+=("x86_64 $kernel_x86_64 $build/src/boot/zukix64.efi.stub")
[ -n "$kernel_x86_64_trixie" ] && [ -f "$kernel_x86_64_trixie" ] && cases+=("x86_64-trixie $kernel_x86_64_trixie $build/src/boot/zukix64.efi.stub")
[ -n "$kernel_arm64" ] && [ -f "$kernel_arm64" ] && cases+=("arm64 $kernel_arm64 $build/src/boot/zukiaa64.efi.stub")
[ ${#cases[@]} -gt 0 ] || { echo "run.sh: no kernels (run tools/setup.sh or set ZUKI_BENCH_KERNEL_X86_64/ARM64)" >&2; exit 1; }

for c in "${cases[@]}"; do
        read -r arch kernel stub <<<"$c"
        [ -f "$stub" ] || { echo "run.sh: $stub is missing" >&2; exit 1; }
        log "$arch: sizes of $kernel"
        # gzip -9 is what Linux's zboot uses by default (drivers/firmware/efi/libstub/Makefile.zboot);
        # zstd -19 --long is the reference for what zuki's codec can do with the same settings.
        gzip_size=$(gzip -9 -n -c "$kernel" | wc -c)
        zstd_size=$(zstd -19 --long -T0 -q -c "$kernel" | wc -c)
        log "$arch: zuki zboot"
        start=$(date +%s.%N)
        "$zuki" zboot --stub "$stub" --output "$work/$arch.efi" --json "$kernel" >"$work/$arch.zboot.json"
        end=$(date +%s.%N)
        "$zuki" inspect --json "$work/$arch.efi" >"$work/$arch.inspect.json"
        read -r offset size usize < <("$python" -c '
import json, sys
z = json.load(open(sys.argv[1]))["zboot"]
assert z["codec"] == "zstd", z
print(z["payload_offset"], z["payload_size"], z["uncompressed_size"])' "$work/$arch.inspect.json")
        tail -c +$((offset + 1)) "$work/$arch.efi" | head -c "$size" >"$work/$arch.zst"
        log "$arch: decompressing the ${size}-byte frame ($rounds rounds)"
        "$bench" --json --rounds "$rounds" "${clock_args[@]}" "${stub_args[@]}" "$arch" "$work/$arch.zst" "$usize" >"$work/$arch.bench.json"
        cat >"$work/$arch.sizes.json" <<EOF
{"arch": "$arch", "kernel_path": "$kernel", "kernel": $(stat -c %s "$kernel"), "gzip_9": $gzip_size,
 "zstd_19_long": $zstd_size, "zuki_zboot": $(stat -c %s "$work/$arch.efi"),
 "zboot_seconds": $(echo "$end - $start" | bc)}
EOF
done

# Is upstream's x86_64 asm Huffman decoder really in the system libzstd? Look for its machine code
# (as assembled for stub-clang) in the library the benchmark loaded, in 48-byte windows.
asm_object=$build/bench/stub-clang-huf_decompress_amd64.S.o
system_libzstd=$(ldd "$bench" | awk '$1 ~ /^libzstd\.so/ { print $3 }')
if [ -f "$asm_object" ] && [ -f "$system_libzstd" ] &&
        objcopy -O binary --only-section=.text "$asm_object" "$work/huf-asm.bin" 2>/dev/null; then
        echo "$system_libzstd" >"$work/system-libzstd"
fi

"$python" - "$work" "$json" "${cases[@]%% *}" <<'EOF'
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

work, out, arches = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]


def first_line(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
        return (r.stdout or r.stderr).splitlines()[0].strip()
    except (OSError, IndexError):
        return None


def asm_in_system_libzstd():
    """Share of the asm decoder's 48-byte code windows found verbatim in the system libzstd."""
    if not (work / "system-libzstd").exists():
        return None
    lib = Path((work / "system-libzstd").read_text().strip())
    code, image = (work / "huf-asm.bin").read_bytes(), lib.read_bytes()
    windows = [code[i : i + 48] for i in range(0, len(code) - 47, 48)]
    return {"library": str(lib), "windows": len(windows), "found": sum(w in image for w in windows)}


cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.machine())
results = {
    "host": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(),
             "gzip": first_line(["gzip", "--version"]), "zstd_cli": first_line(["zstd", "--version"])},
    "system_libzstd_asm": asm_in_system_libzstd(),
    "notes": [
        "Decompression runs on the host CPU for both payloads; 'arm64' names the arm64 kernel's payload.",
        "The system libzstd is built with upstream's x86_64 asm Huffman decoder (huf_decompress_amd64.S); "
        "so is the x64 stub (zstd-x86-asm.h/.c) and stub-clang on x86_64 hosts; stub-clang-noasm is the "
        "C-only configuration of the arm64 stub (and of the x64 stub before the asm).",
        "ratio = stub MB/s / system MB/s, both measured in the same process in rotating order.",
        "The x86_64 vmlinuz is a bzImage whose kernel is already XZ-compressed inside.",
    ],
    "arches": {},
}
for arch in arches:
    sizes = json.loads((work / f"{arch}.sizes.json").read_text())
    zboot = json.loads((work / f"{arch}.zboot.json").read_text())
    bench = json.loads((work / f"{arch}.bench.json").read_text())
    results["arches"][arch] = {"sizes": sizes, "zboot": zboot, "decompress": bench}
out.write_text(json.dumps(results, indent=2) + "\n")

print(f"zuki benchmarks on {cpu} ({os.cpu_count()} CPUs)\n")
print("Sizes (bytes; ratio = size / kernel file)")
print(f"  {'arch':<7} {'kernel':>12} {'gzip -9':>18} {'zstd -19 --long':>18} {'zuki zboot':>18}")
for arch, r in results["arches"].items():
    s = r["sizes"]
    cells = [f"{s[k]:>10} {s[k] / s['kernel']:6.3f}" for k in ("gzip_9", "zstd_19_long", "zuki_zboot")]
    print(f"  {arch:<7} {s['kernel']:>12} " + " ".join(f"{c:>18}" for c in cells))
    print(f"  {'':<7} release {r['zboot']['release']}, payload {r['zboot']['compressed_size']} bytes -> "
          f"{r['zboot']['uncompressed_size']} (zuki zboot took {s['zboot_seconds']:.1f} s)")

print("\nDecompression of the zboot payload (MB/s of output, best of N; ratio = stub / system)")
first = next(iter(results["arches"].values()))["decompress"]
names = [s["name"] for s in first["stubs"]]
print(f"  {'payload':<8} {'out MB':>7} {'system':>9} " + " ".join(f"{n:>23}" for n in names))
for arch, r in results["arches"].items():
    d = r["decompress"]
    cells = [f"{s['best_mb_s']:9.1f} ({s['ratio_best']:.3f})" for s in d["stubs"]]
    print(f"  {arch:<8} {d['uncompressed_size'] / 1e6:7.1f} {d['system']['best_mb_s']:9.1f} "
          + " ".join(f"{c:>23}" for c in cells))
print()
for s in first["stubs"]:
    print(f"  {s['name']}: {s['compiler']}, DYNAMIC_BMI2={s['dynamic_bmi2']}, x86_64 asm={s['x86_64_asm']}, "
          f"workspace {s['workspace_size']} bytes")
asm = results["system_libzstd_asm"]
asm_text = (f"{asm['found']}/{asm['windows']} code windows of huf_decompress_amd64.S found in {asm['library']}"
            if asm else "asm decoder presence not checked")
print(f"  system: libzstd {first['system']['zstd_version']} ({asm_text})")
print(f"  rounds: {first['rounds']}, rotating order, best-of; medians in the JSON; clock: {first['clock']}")
headline = [r["decompress"]["stubs"][0] for r in results["arches"].values()]
worst = min(s["ratio_best"] for s in headline)
worst_median = min(s["ratio_median"] for s in headline)
print(f"\n  headline ({names[0]}): worst ratio {worst:.3f} best-of, {worst_median:.3f} of medians "
      f"(issue 20's goal >= 1.0: {'met' if min(worst, worst_median) >= 1.0 else 'NOT met'})")
for note in results["notes"]:
    print(f"  note: {note}")
print(f"\nJSON: {out}")
EOF

if [ "$x86_boot" = 1 ]; then
        echo
        "$src/bench/x86-boot.sh" --no-build "$build"
fi
