#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Proves that check-stub.py can fail: the real stub must pass every check, and each deliberately
# broken copy (one property broken with a few lines of pefile) must be rejected with exactly the
# matching FAIL line(s) and exit status 1.
#
# Usage: test-check-stub.sh STUB MACHINE   (MACHINE: x64 | aa64 | riscv64)

set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

if [ $# -ne 2 ]; then
        echo "usage: $0 STUB x64|aa64|riscv64" >&2
        exit 2
fi
stub=$1
machine=$2
python=$ZUKI_SYSTEM_PYTHON # Debian's interpreter, the one with python3-pefile
checker="$(cd "$(dirname "$0")" && pwd)/check-stub.py"
make_tmp
work=$tmp

# Writes a copy of $1 to $2 with one property broken ($3); see the cases below.
break_copy() {
        "$python" - "$@" <<'EOF'
import sys
import pefile

src, dst, mutation = sys.argv[1:]
pe = pefile.PE(src)
opt = pe.OPTIONAL_HEADER
by_name = {s.Name.rstrip(b"\0").decode(): s for s in pe.sections}
reloc_dir = opt.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_BASERELOC"]]
if mutation == "clear-nx":
    opt.DllCharacteristics &= ~0x0100
elif mutation == "clear-dynamic-base":
    opt.DllCharacteristics &= ~0x0040
elif mutation == "writable-text":
    by_name[".text"].Characteristics |= 0x80000000
elif mutation == "zero-reloc-dir":
    reloc_dir.VirtualAddress = 0
    reloc_dir.Size = 0
elif mutation == "reloc-outside-image":
    # Move the first block's page to the last bytes of the image: its DIR64 entries now reach
    # past SizeOfImage. (Through pefile's parsed block header: write() re-packs parsed
    # structures over raw edits.)
    pe.DIRECTORY_ENTRY_BASERELOC[0].struct.VirtualAddress = opt.SizeOfImage - 4
elif mutation == "rename-sbat":
    by_name[".sbat"].Name = b".sbax\0\0\0"
elif mutation == "corrupt-sbat":
    pe.set_bytes_at_offset(by_name[".sbat"].PointerToRawData, b"xbat")
elif mutation == "placeholder-sbat-url":
    # The zuki line's vendor URL replaced, in place, by one in the reserved .invalid domain.
    sbat = by_name[".sbat"]
    data = pe.get_data(sbat.VirtualAddress, sbat.Misc_VirtualSize)
    line_start = data.index(b"\nzuki,") + 1
    url_end = data.index(b"\n", line_start)
    url_start = data.rindex(b",", line_start, url_end) + 1
    pad = url_end - url_start - len(b"http://.invalid")
    assert pad >= 1, "URL too short to replace in place"
    pe.set_bytes_at_offset(sbat.PointerToRawData + url_start, b"http://" + b"a" * pad + b".invalid")
elif mutation == "section-alignment-512":
    opt.SectionAlignment = 0x200
elif mutation == "shrink-headers":
    opt.SizeOfHeaders = 0x400
elif mutation == "subsystem-11":
    opt.Subsystem = 11
elif mutation == "crt-section":
    # What lld-link names the table of global constructors (.CRT$XCU merged into .CRT).
    by_name[".rdata"].Name = b".CRT\0\0\0\0"
else:
    sys.exit(f"unknown mutation {mutation}")
pe.write(dst)
EOF
}

failures=0

# Runs the checker on $1 with --machine $2, expecting exit status $3 and exactly the FAIL names $4.
expect() {
        local file=$1 mach=$2 want_status=$3 want_fails=$4 label=$5 out status got_fails
        set +e
        out=$("$python" "$checker" "$file" --machine "$mach" 2>&1)
        status=$?
        set -e
        got_fails=$(printf '%s\n' "$out" | sed -n 's/^FAIL \([a-z0-9-]*\):.*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//')
        if [ "$status" -eq "$want_status" ] && [ "$got_fails" = "$want_fails" ]; then
                echo "ok   $label: exit $status, FAIL lines: ${got_fails:-none}"
                printf '%s\n' "$out" | grep '^FAIL' | sed 's/^/       /' || true
        else
                echo "BAD  $label: exit $status (want $want_status), FAIL lines: '${got_fails}' (want '${want_fails}')"
                printf '%s\n' "$out" | sed 's/^/       /'
                failures=$((failures + 1))
        fi
}

echo "== $stub ($machine)"
expect "$stub" "$machine" 0 "" "real stub passes"

other=$([ "$machine" = x64 ] && echo aa64 || echo x64)
expect "$stub" "$other" 1 "machine" "real stub checked as --machine $other"

# mutation -> the FAIL names it must produce (sorted, space separated)
cases=(
        "clear-nx:dll-characteristics"
        "clear-dynamic-base:dll-characteristics"
        "writable-text:w-xor-x"
        "zero-reloc-dir:base-relocations"
        "reloc-outside-image:base-relocations"
        "rename-sbat:sbat"
        "corrupt-sbat:sbat"
        "placeholder-sbat-url:sbat"
        "section-alignment-512:section-alignment"
        "shrink-headers:header-room"
        "subsystem-11:subsystem"
        "crt-section:no-constructors"
)
for c in "${cases[@]}"; do
        mutation=${c%%:*}
        want=${c#*:}
        copy="$work/$mutation.efi"
        break_copy "$stub" "$copy" "$mutation"
        if cmp -s "$stub" "$copy"; then
                echo "BAD  $mutation: the broken copy is identical to the stub"
                failures=$((failures + 1))
                continue
        fi
        expect "$copy" "$machine" 1 "$want" "$mutation"
done

if [ "$failures" -ne 0 ]; then
        echo "$failures case(s) did not behave"
        exit 1
fi
echo "all $((${#cases[@]} + 2)) cases behaved"
