#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The installed system, zuki against systemd-stub (issue 18's benchmark): the trixie image
# tools/make-debian-image.sh built (systemd-boot, dracut initrd, LUKS2 root with a TPM2 token bound
# to a signed PCR 11 policy), booted with the same kernel, initrd, command line and os-release in
#   zuki          zuki build (zuki's default for the kernel: the x86 direct path), as kernel-install
#                 makes it in the image
#   zuki-efistub  zuki build --x86-boot=efistub (what X86_BOOT=efistub gives: kexec-able)
#   sd257         ukify 257 + systemd-stub 257 (trixie), systemd-measure 257 signing
#   sd262         ukify 262 + systemd-stub 262 (sid), systemd-measure 262 signing
# each signed with one benchmark key, whose public half the token is enrolled with (from the host,
# once: every boot starts from that disk and TPM state). The variants alternate within every round
# (the order rotates); QEMU TCG, trixie's OVMF, swtpm, 2 GiB. Reported per variant (medians) and as
# ratios against sd257 and sd262 measured in the same run: seconds from QEMU's start to the
# kernel's "Linux version" line, to systemd-cryptsetup@root finishing in the initrd (the root
# unsealed: a boot that shows the passphrase prompt is a failed round), to multi-user.target;
# each UKI's size and the ESP space three generations of it take. Not part of `meson test`. See
# README.md.
#
# Usage: bench/lifecycle-boot.sh [--rounds N] [--variants LIST] [--json PATH] [--logs DIR] [--image DIR] [BUILD_DIR]
#   BUILD_DIR   a zuki build directory with zuki and zukix64.efi.stub built (default: build)
#   --rounds    rounds, each booting every variant once (default 3; 0: sizes and ESP space only)
#   --variants  comma-separated, from the list above (default zuki,sd257,sd262)
#   --json      where to write the results (default BUILD_DIR/lifecycle-boot.json)
#   --logs      keep every boot's serial log and timed lines in DIR
#   --image     the image directory (default: the newest, which must hold this checkout's zuki)
set -uo pipefail
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../test/lib/common.sh
source "$src/test/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../test/lifecycle/lib.sh
source "$src/test/lifecycle/lib.sh"

rounds=3 variants=zuki,sd257,sd262 json='' logs='' build=build image=''
while (($#)); do
        case $1 in
        --rounds) rounds=$2; shift 2 ;;
        --variants) variants=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        --logs) logs=$2; shift 2 ;;
        --image) image=$2; shift 2 ;;
        -h | --help) sed -n '4,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "lifecycle-boot.sh: unknown option $1" >&2; exit 2 ;;
        *) build=$1; shift ;;
        esac
done
[[ $rounds =~ ^[0-9]+$ ]] || { echo "lifecycle-boot.sh: --rounds wants a number (0: sizes only)" >&2; exit 2; }
build=$(cd "$build" && pwd) || exit 2
json=${json:-$build/lifecycle-boot.json}
zuki=$build/src/zuki/zuki stub=$build/src/boot/zukix64.efi.stub
[[ -x $zuki && -f $stub ]] || fail "no zuki or zukix64.efi.stub in $build (meson compile -C $build)"
load_assets
for t in qemu-system-x86_64 qemu-img qemu-io swtpm systemd-cryptenroll cryptsetup mcopy openssl; do
        need_tool "$t"
done
lifecycle_image "$image"
: "${img:?}" "${vars:?}" # set by lifecycle_image
IFS=, read -r -a chosen <<<"$variants"
for v in "${chosen[@]}"; do
        case $v in
        zuki | zuki-efistub) ;;
        sd257) need_asset ZUKI_UKIFY "ukify 257"; need_asset ZUKI_SYSTEMD_STUB_X64 "systemd-stub 257"; need_asset ZUKI_SYSTEMD_MEASURE257 "systemd-measure 257" ;;
        sd262) need_asset ZUKI_UKIFY262 "ukify 262"; need_asset ZUKI_SYSTEMD262_STUB_X64 "systemd-stub 262"; need_asset ZUKI_SYSTEMD_MEASURE262 "systemd-measure 262" ;;
        *) fail "unknown variant $v (want zuki, zuki-efistub, sd257, sd262)" ;;
        esac
done
make_tmp
: "${tmp:?}" # set by make_tmp
[[ -n $logs ]] && mkdir -p "$logs"
echo "== image $img: kernel $IMAGE_KERNEL_RELEASE"

# -- the inputs: the image's own UKI taken apart, Debian's kernel of the same release ----------------
dd if="$img/disk.raw" of="$tmp/esp.img" bs=1M iflag=skip_bytes,count_bytes skip="$IMAGE_ESP_OFFSET" \
        count="$IMAGE_ESP_SIZE" status=none || fail "cannot copy the ESP out of the image"
mcopy -n -i "$tmp/esp.img" "::/$IMAGE_UKI" "$tmp/image-uki.efi" || fail "mcopy $IMAGE_UKI"
"$zuki" extract --sections "$tmp/sections" "$tmp/image-uki.efi" >/dev/null || fail "zuki extract --sections"
kernel=${ZUKI_KERNEL_TRIXIE_AMD64:-}
[[ -f $kernel && ${ZUKI_KERNEL_TRIXIE_AMD64_RELEASE:-} == "$IMAGE_KERNEL_RELEASE" ]] ||
        skip "the asset cache's trixie kernel (${ZUKI_KERNEL_TRIXIE_AMD64_RELEASE:-none}) is not the image's ($IMAGE_KERNEL_RELEASE)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/pcr.key" 2>/dev/null || fail "openssl genpkey"
openssl pkey -in "$tmp/pcr.key" -pubout -out "$tmp/pcr.pub" || fail "openssl pkey"
common=(--linux "$kernel" --initrd "$tmp/sections/initrd" --cmdline "@$tmp/sections/cmdline"
        --os-release "@$tmp/sections/osrel" --uname "$(cat "$tmp/sections/uname")" --pcrpkey "$tmp/pcr.pub"
        --pcr-private-key "$tmp/pcr.key" --pcr-public-key "$tmp/pcr.pub")
ukify() { # UKIFY STUB MEASURE OUT
        local tools
        tools=$(dirname "$3")
        PYTHONPATH=${ZUKI_UKIFY_PYTHONPATH:-} /usr/bin/python3 "$1" build --stub "$2" --tools "$tools" "${common[@]}" \
                --output "$4" >"$4.log" 2>&1 || { cat "$4.log"; fail "ukify build $(basename "$4")"; }
}
esp_free() { mdir -i "$1" ::/ | awk '/bytes free/ { sub(/bytes free.*/, ""); gsub(/[^0-9]/, ""); print }'; } # "264 288 768 bytes free"
mkfs.vfat -C -F 32 "$tmp/esp-empty.img" $((IMAGE_ESP_SIZE / 1024)) >/dev/null || fail "mkfs.vfat"
esp_free_empty=$(esp_free "$tmp/esp-empty.img")
rm -f "$tmp/esp-empty.img"
for v in "${chosen[@]}"; do
        echo "== building $v"
        case $v in
        zuki) "$zuki" build --stub "$stub" "${common[@]}" --output "$tmp/$v.efi" >/dev/null || fail "zuki build" ;;
        zuki-efistub) "$zuki" build --stub "$stub" --x86-boot efistub "${common[@]}" --output "$tmp/$v.efi" >/dev/null || fail "zuki build" ;;
        sd257) ukify "$ZUKI_UKIFY" "$ZUKI_SYSTEMD_STUB_X64" "$ZUKI_SYSTEMD_MEASURE257" "$tmp/$v.efi" ;;
        sd262) ukify "$ZUKI_UKIFY262" "$ZUKI_SYSTEMD262_STUB_X64" "$ZUKI_SYSTEMD_MEASURE262" "$tmp/$v.efi" ;;
        esac
        # Each variant's ESP: the image's, with its UKI file (and name: boot counting) replaced.
        cp "$tmp/esp.img" "$tmp/esp-$v.img"
        mcopy -o -i "$tmp/esp-$v.img" "$tmp/$v.efi" "::/$IMAGE_UKI" || fail "mcopy $v"
        # ESP space for three kernel generations (kernel-install keeps every installed kernel's
        # UKI): the image's ESP with three copies of this UKI instead of its own, the FAT's used
        # bytes (clusters, directories, shim and systemd-boot included). Copies of one kernel: real
        # generations differ by a few per cent.
        cp "$tmp/esp.img" "$tmp/esp3.img"
        mdel -i "$tmp/esp3.img" "::/$IMAGE_UKI" || fail "mdel $IMAGE_UKI"
        for g in 1 2 3; do
                mcopy -i "$tmp/esp3.img" "$tmp/$v.efi" "::/EFI/Linux/$IMAGE_MACHINE_ID-generation-$g.efi" ||
                        fail "$v: three generations do not fit in the ${IMAGE_ESP_SIZE}-byte ESP"
        done
        echo $((esp_free_empty - $(esp_free "$tmp/esp3.img"))) >"$tmp/$v.esp3"
        rm -f "$tmp/esp3.img"
done

# -- one disk and TPM state with the token enrolled; every boot starts from a copy -------------------
qemu-img create -q -f qcow2 -F raw -b "$img/disk.raw" "$tmp/base.qcow2" || fail "qemu-img create"
lifecycle_enrol "$tmp/base.qcow2" "$tmp/tpm-base" "$tmp/pcr.pub" "$tmp/enrol.log"
echo "== token enrolled with the benchmark key; $rounds rounds of ${chosen[*]}"

results=$tmp/results.txt
: >"$results"
n=${#chosen[@]}
for ((r = 0; r < rounds; r++)); do
        for ((i = 0; i < n; i++)); do
                v=${chosen[$(((i + r) % n))]}
                run=$tmp/run
                rm -rf "$run" && mkdir "$run"
                qemu-img create -q -f qcow2 -F qcow2 -b "$tmp/base.qcow2" "$run/disk.qcow2" || fail "qemu-img create"
                qemu-io -f qcow2 -c "write -q -s $tmp/esp-$v.img $IMAGE_ESP_OFFSET $IMAGE_ESP_SIZE" "$run/disk.qcow2" ||
                        fail "cannot write the ESP of $v"
                cp -a "$tmp/tpm-base" "$run/tpm"
                cp "$vars" "$run/vars.fd"
                swtpm_start_qemu "$run/tpm" || fail "swtpm"
                lifecycle_qemu_cmd "$run/disk.qcow2" "$run/vars.fd" "$run/tpm"
                /usr/bin/python3 "$src/test/lifecycle/serial-boot.py" --log "$run/serial.log" --times "$run/times.txt" \
                        --timeout 900 --end 'LIFECYCLE: done|[Pp]assphrase for' -- "${qemu_cmd[@]}" 2>/dev/null
                swtpm_stop
                [[ -n $logs ]] && cp "$run/serial.log" "$logs/round$((r + 1))-$v.log" && cp "$run/times.txt" "$logs/round$((r + 1))-$v.times"
                line=$(/usr/bin/python3 - "$run/times.txt" "$v" "$((r + 1))" <<'PY'
import re, sys
path, variant, rnd = sys.argv[1:4]
marks = {"linux": r"Linux version ", "unsealed": r"Finished .*systemd-cryptsetup@root", "multiuser": r"Reached target .*multi-user\.target",
         "prompt": r"(?i)passphrase for", "done": r"^LIFECYCLE: done"}
seen = {}
for line in open(path, errors="replace"):
    t, _, text = line.rstrip("\n").partition(" ")
    for k, pat in marks.items():
        if k not in seen and re.search(pat, text):
            seen[k] = float(t)
ok = "prompt" not in seen and all(k in seen for k in ("linux", "unsealed", "multiuser", "done"))
why = "" if ok else ("passphrase prompt" if "prompt" in seen else "missing " + ",".join(k for k in ("linux", "unsealed", "multiuser", "done") if k not in seen))
print(rnd, variant, "ok" if ok else "bad", *(f"{seen.get(k, -1):.2f}" for k in ("linux", "unsealed", "multiuser")), why)
PY
                )
                echo "$line" | tee -a "$results"
        done
done

/usr/bin/python3 - "$results" "$json" "$tmp" "${chosen[@]}" <<'PY'
import json, os, statistics, sys
results, out, tmp, *variants = sys.argv[1:]
rows = [l.split(maxsplit=6) for l in open(results) if l.strip()]
data = {v: {"size": os.path.getsize(f"{tmp}/{v}.efi"), "esp_three_generations": int(open(f"{tmp}/{v}.esp3").read()),
            "rounds": [], "failed": []} for v in variants}
for r in rows:
    rnd, v, status, linux, unsealed, multi = r[:6]
    if status == "ok":
        data[v]["rounds"].append({"linux": float(linux), "unsealed": float(unsealed), "multiuser": float(multi)})
    else:
        data[v]["failed"].append({"round": int(rnd), "why": r[6] if len(r) > 6 else ""})
for v, d in data.items():
    d["median"] = {k: statistics.median(x[k] for x in d["rounds"]) for k in ("linux", "unsealed", "multiuser")} if d["rounds"] else None
refs = [v for v in ("sd257", "sd262") if v in data and data[v]["median"]]
print()
print(f"{'variant':13} {'UKI bytes':>10} {'Linux (s)':>10} {'unsealed (s)':>13} {'multi-user (s)':>15} " + " ".join(f"{'vs ' + r:>16}" for r in refs))
for v, d in data.items():
    m = d["median"]
    cells = [f"{v:13}", f"{d['size']:>10}"]
    if m:
        cells += [f"{m['linux']:>10.2f}", f"{m['unsealed']:>13.2f}", f"{m['multiuser']:>15.2f}"]
        for r in refs:
            rm = data[r]["median"]
            d.setdefault("ratio", {})[r] = {k: m[k] / rm[k] for k in m} | {"size": d["size"] / data[r]["size"]}
            q = d["ratio"][r]
            cells.append(f"{q['unsealed']:>7.3f}/{q['multiuser']:.3f}/{q['size']:.2f}")
    elif d["failed"]:
        cells.append("no good round: " + "; ".join(f["why"] for f in d["failed"]))
    else:
        cells.append("not booted")
    print(" ".join(cells))
print("(ratios: unsealed / multi-user / size; medians of", len(rows) // max(len(data), 1), "rounds, failed rounds left out)")
print()
print("ESP used with three generations of the UKI (FAT clusters; shim, systemd-boot, loader.conf included):")
for v, d in data.items():
    e = d["esp_three_generations"]
    print(f"  {v:13} {e / 2**20:8.1f} MiB" + "".join(f"  {e / data[r]['esp_three_generations']:.3f}x {r}" for r in ("sd257", "sd262") if r in data))
json.dump({"variants": data, "rows": [" ".join(r) for r in rows]}, open(out, "w"), indent=2)
print("json:", out)
PY
