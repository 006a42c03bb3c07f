#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The ESP extras benchmark (zuki issue 16): boot-to-init of the same UKI contents — Debian
# bookworm's amd64 bzImage, the test initrd, "console=ttyS0 panic=-1" — from an ESP that also holds
# THREE addons (command line only; one of them also carries a small .initrd), FIVE small
# credentials and ONE sysext (4 MiB of seeded pseudo-random bytes, the same every run), on
#   sd262     systemd-stub 262   (zuki build --no-compress --stub $ZUKI_SYSTEMD262_STUB_X64)
#   zuki-nc   the zuki stub      (zuki build --no-compress: the same sections, the bzImage as given)
#   zuki      the zuki stub      (zuki build: what users get, zuki's zstd direct path)
# (systemd-stub 262 refuses a zboot .linux, hence --no-compress as in parity-test.sh). Addons are
# built with ukify 262 on systemd 262's addon stub. Boots: test/qemu/boot.sh, x86_64, bookworm OVMF,
# swtpm, QEMU TCG; rounds alternate the UKIs. Reports per-variant medians and the ratios
# zuki*/sd262 from the same run, plus file sizes. Prints a table, writes JSON. Not part of
# `meson test`.
#
# Usage: bench/esp-extras.sh [--json PATH] [--rounds N] [--logs DIR] [--no-build] BUILD_DIR
#   BUILD_DIR    a configured zuki build directory
#   --json       where to write the results (default: BUILD_DIR/bench-esp-extras.json)
#   --rounds     QEMU rounds, each booting every UKI once (default 3; 0: sizes only)
#   --logs       keep every boot's time-stamped serial log in DIR
#   --no-build   do not run ninja (zuki, the x64 stub and test/initrd-x64.cpio.gz must be built)

set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=
json=
rounds=3
logs=
do_build=1

while [ $# -gt 0 ]; do
        case $1 in
        --json) json=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --logs) logs=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        -h | --help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "esp-extras.sh: unknown option $1" >&2; exit 2 ;;
        *) build=$1; shift ;;
        esac
done
[[ $rounds =~ ^[0-9]+$ ]] || { echo "esp-extras.sh: --rounds wants a number (0: sizes only)" >&2; exit 2; }
[ -n "$build" ] || { echo "usage: esp-extras.sh [--rounds N] [--json PATH] [--logs DIR] BUILD_DIR" >&2; exit 2; }

log() { echo "bench: $*" >&2; }
die() { echo "esp-extras.sh: $*" >&2; exit 1; }

build=$(cd "$build" && pwd)
json=${json:-$build/bench-esp-extras.json}
[ -z "$logs" ] || { mkdir -p "$logs" && logs=$(cd "$logs" && pwd); }
targets=(src/zuki/zuki src/boot/zukix64.efi.stub test/initrd-x64.cpio.gz)
if [ "$do_build" = 1 ]; then
        log "building ${targets[*]}"
        ninja -C "$build" "${targets[@]}" >&2
fi
zuki=$build/src/zuki/zuki
stub=$build/src/boot/zukix64.efi.stub
initrd=$build/test/initrd-x64.cpio.gz
for f in "$zuki" "$stub" "$initrd"; do
        [ -e "$f" ] || die "$f is missing (build $build first)"
done

assets=${ZUKI_ASSETS_ENV:-/var/cache/zuki/assets.env}
[ -f "$assets" ] || die "no $assets (run tools/setup.sh)"
# shellcheck disable=SC1090
. "$assets"
python=/usr/bin/python3 # Debian's interpreter, as test/lib/common.sh's ZUKI_SYSTEM_PYTHON
kernel=${ZUKI_KERNEL_BOOKWORM_AMD64:-}
sd_stub=${ZUKI_SYSTEMD262_STUB_X64:-}
sd_addon=${ZUKI_SYSTEMD262_ADDON_X64:-}
ukify=${ZUKI_UKIFY262:-}
for v in ZUKI_KERNEL_BOOKWORM_AMD64 ZUKI_SYSTEMD262_STUB_X64 ZUKI_SYSTEMD262_ADDON_X64 ZUKI_UKIFY262 \
        ZUKI_OVMF_BOOKWORM_CODE ZUKI_OVMF_BOOKWORM_VARS; do
        [[ -n ${!v:-} && -f ${!v} ]] || die "asset $v is missing (run tools/setup.sh)"
done
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed"
command -v swtpm >/dev/null || die "swtpm is not installed"

work=$(mktemp -d "${TMPDIR:-/tmp}/zuki-esp-extras.XXXXXX")
trap 'rm -rf "$work"' EXIT
cmdline="console=ttyS0 panic=-1"

# --- The ESP extras, the same bytes every run ---
esp=$work/esp
dropin=$esp/EFI/BOOT/BOOTX64.EFI.extra.d
mkdir -p "$dropin" "$esp/loader/addons" "$esp/loader/credentials" "$esp/loader/extensions"
# Three addons (command line only; the second also with a one-file .initrd), per-UKI and global.
addon_words=(zuki.bench.addon1=1 zuki.bench.addon2=1 zuki.bench.addon3=1)
mkdir -p "$work/addon-initrd/zuki-bench"
echo "zuki bench: an addon's initrd" >"$work/addon-initrd/zuki-bench/addon.txt"
find "$work/addon-initrd" -exec touch -h -d @0 {} +
(cd "$work/addon-initrd" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
        >"$work/addon-initrd.cpio"
addon() { # addon OUT CMDLINE [ukify args...]
        local out=$1 words=$2
        shift 2
        "$python" "$ukify" build --stub "$sd_addon" --cmdline "$words" "$@" --output "$out" >"$work/ukify.out" 2>&1 ||
                { cat "$work/ukify.out" >&2; die "ukify 262 could not build $out"; }
}
log "building 3 addons (ukify 262), 5 credentials, 1 sysext"
addon "$dropin/one.addon.efi" "${addon_words[0]}"
addon "$dropin/two.addon.efi" "${addon_words[1]}" --initrd "$work/addon-initrd.cpio"
addon "$esp/loader/addons/global.addon.efi" "${addon_words[2]}"
# Five credentials: three per-UKI, two global.
for c in a b c; do echo "zuki bench per-UKI credential $c" >"$dropin/$c.cred"; done
for c in d e; do echo "zuki bench global credential $c" >"$esp/loader/credentials/$c.cred"; done
# One sysext: 4 MiB of pseudo-random bytes seeded by its name (as parity-test.sh's "random").
sysext=loader/extensions/bench.sysext.raw
"$python" -c 'import random, sys; random.seed(sys.argv[1]); sys.stdout.buffer.write(random.randbytes(int(sys.argv[2])))' \
        "$sysext" $((4 << 20)) >"$esp/$sysext"
esp_args=()
while read -r f; do esp_args+=(--esp-file "$f=${f#"$esp/"}"); done < <(find "$esp" -type f | LC_ALL=C sort)
(cd "$esp" && find . -type f | LC_ALL=C sort | xargs sha256sum) >"$work/esp.sha256"

# --- The UKIs ---
names=(sd262 zuki-nc zuki)
build_uki() { # build_uki NAME zuki-build-args...
        local name=$1 t
        shift
        t=$(date +%s.%N)
        "$zuki" build "$@" --linux "$kernel" --initrd "$initrd" --cmdline "$cmdline" --output "$work/$name.efi" >&2
        awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }' >"$work/$name.build_s"
}
log "building the UKIs: systemd-stub 262, zuki --no-compress, zuki"
build_uki sd262 --no-compress --stub "$sd_stub"
build_uki zuki-nc --no-compress --stub "$stub"
build_uki zuki --stub "$stub"
for n in "${names[@]}"; do "$zuki" inspect --json "$work/$n.efi" >"$work/$n.inspect.json"; done

if [ "$rounds" -gt 0 ]; then
        want=()
        for w in "${addon_words[@]}"; do want+=(--want-cmdline "$w"); done
        log "QEMU: $rounds rounds x ${#names[@]} UKIs, one guest at a time"
        "$python" "$src/bench/esp-extras-qemu.py" --boot-sh "$src/test/qemu/boot.sh" --rounds "$rounds" \
                ${logs:+--logs "$logs"} --json "$work/boots.json" "${esp_args[@]}" "${want[@]}" \
                "sd262=$work/sd262.efi" "zuki-nc=$work/zuki-nc.efi" "zuki=$work/zuki.efi" ||
                die "a boot failed (see above; --logs DIR keeps the serial logs)"
else
        echo "[]" >"$work/boots.json"
fi

"$python" - "$work" "$json" "$cmdline" "$sd_stub" "$kernel" "${names[@]}" <<'EOF'
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

work, out = Path(sys.argv[1]), Path(sys.argv[2])
cmdline, sd_stub, kernel = sys.argv[3:6]
names = sys.argv[6:]
REF = "sd262"
WHAT = {"sd262": "systemd-stub 262, --no-compress", "zuki-nc": "zuki stub, --no-compress",
        "zuki": "zuki stub, zuki build (zstd direct)"}


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


esp = []
for line in (work / "esp.sha256").read_text().splitlines():
    digest, path = line.split(None, 1)
    path = path.removeprefix("./")
    esp.append({"path": path, "bytes": (work / "esp" / path).stat().st_size, "sha256": digest})

sizes = {}
for n in names:
    ins = json.loads((work / f"{n}.inspect.json").read_text())
    linux = next((s for s in ins["pe"]["sections"] if s["name"] == ".linux"), None)
    sizes[n] = {"file": (work / f"{n}.efi").stat().st_size,
                "linux_section": linux["virtual_size"] if linux else None,
                "build_s": float((work / f"{n}.build_s").read_text())}
for n in names:
    sizes[n]["ratio_file"] = sizes[n]["file"] / sizes[REF]["file"]

boots = json.loads((work / "boots.json").read_text())
boot = {}
for n in names:
    bs = [b for b in boots if b["name"] == n]
    boot[n] = {k: med([b["seconds"].get(k) for b in bs]) for k in ("linux_version", "init_booted")}
    boot[n]["init_booted_all"] = [b["seconds"].get("init_booted") for b in bs]
    boot[n]["initrd_kib"] = sorted({b["captures"].get("initrd_kib") for b in bs} - {None})
    boot[n]["boots"] = len(bs)
for n in names:
    a, x = boot[REF]["init_booted"], boot[n]["init_booted"]
    boot[n]["ratio_init_booted_medians"] = x / a if a and x else None
    pairs = []
    for r in sorted({b["round"] for b in boots}):
        s = next((b for b in boots if b["name"] == REF and b["round"] == r), None)
        z = next((b for b in boots if b["name"] == n and b["round"] == r), None)
        if s and z and "init_booted" in s["seconds"] and "init_booted" in z["seconds"]:
            pairs.append(z["seconds"]["init_booted"] / s["seconds"]["init_booted"])
    boot[n]["ratio_init_booted_paired"] = pairs
    boot[n]["ratio_init_booted_paired_median"] = med(pairs)

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.machine())
results = {
    "date": time.strftime("%Y-%m-%d"),
    "host": {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(), "load_average": os.getloadavg()},
    "kernel": kernel, "cmdline": cmdline, "reference": {"name": REF, "stub": sd_stub}, "variants": WHAT,
    "esp": esp,
    "notes": [
        "Boots: test/qemu/boot.sh --arch x86_64 --firmware bookworm --tpm (swtpm), QEMU TCG q35, the UKI as "
        "\\EFI\\BOOT\\BOOTX64.EFI on the ESP with the files in 'esp'. Seconds from QEMU's start (boot.sh's command "
        "line) to init's 'ZUKI-GUEST: booted' reaching the host (boot.sh streams the log every 0.2 s).",
        "Every boot's kernel command line was checked for the three addons' words.",
        "initrd_kib: the kernel's 'Freeing initrd memory' figure (all initrds the stub passed).",
    ],
    "sizes": sizes, "boot": boot, "boots": boots,
}
out.write_text(json.dumps(results, indent=2) + "\n")


def f(x, fmt):
    return fmt.format(x) if x is not None else "-"


print(f"zuki ESP extras benchmark on {cpu} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})")
print(f"kernel {kernel}; ESP: {len(esp)} files, {sum(e['bytes'] for e in esp)} bytes "
      f"(3 addons, 5 credentials, 1 sysext)\n")
print(f"{'variant':<44} {'UKI bytes':>10} {'ratio':>6} {'init s':>7} {'ratio':>6} {'paired':>6} {'Linux s':>7} {'initrd':>7}")
for n in names:
    s, b = sizes[n], boot[n]
    kib = ",".join(b["initrd_kib"]) + "K" if b["initrd_kib"] else "-"
    print(f"{n + ' (' + WHAT[n] + ')':<44} {s['file']:>10} {s['ratio_file']:>6.3f}"
          f" {f(b['init_booted'], '{:7.2f}'):>7} {f(b['ratio_init_booted_medians'], '{:6.3f}'):>6}"
          f" {f(b['ratio_init_booted_paired_median'], '{:6.3f}'):>6} {f(b['linux_version'], '{:7.2f}'):>7}"
          f" {kib:>7}")
print(f"\ninit s / Linux s: median seconds from QEMU start ({boot[REF]['boots']} boots each) to init's first line /"
      f" the kernel's first line; ratio = / {REF} (medians), paired = median of per-round ratios")
print(f"JSON: {out}")
EOF
