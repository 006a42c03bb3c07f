#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The stub's zstd path on real kernel payloads, every build against the system libzstd, byte for
# byte, and which Huffman path each build took (zuki-bench-decompress --check).
#
# Usage: check-stub-zstd.sh ZUKI BENCH [--want-asm NAME]... --stub NAME=LIB... -- IMAGE...
#   IMAGE: zboot images (zuki zboot output) whose zstd frames are decoded.
set -euo pipefail

zuki=$1 bench=$2
shift 2
args=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
[ "${1:-}" = -- ] || { echo "check-stub-zstd.sh: missing -- before the images" >&2; exit 2; }
shift
[ $# -gt 0 ] || { echo "check-stub-zstd.sh: no images" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/zuki-check-stub-zstd.XXXXXX")
trap 'rm -rf "$work"' EXIT

for image in "$@"; do
        name=$(basename "$image")
        "$zuki" inspect --json "$image" >"$work/inspect.json"
        read -r offset size usize < <(/usr/bin/python3 -c '
import json, sys
z = json.load(open(sys.argv[1]))["zboot"]
assert z["codec"] == "zstd", z
print(z["payload_offset"], z["payload_size"], z["uncompressed_size"])' "$work/inspect.json")
        tail -c +$((offset + 1)) "$image" | head -c "$size" >"$work/frame.zst"
        "$bench" --check "${args[@]}" "$name" "$work/frame.zst" "$usize"
done
