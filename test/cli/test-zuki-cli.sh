#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The zuki CLI on good and bad input: every refusal is one line on stderr, a non-zero exit, and
# no output file (an existing one is left as it was).
#   test-zuki-cli.sh ZUKI STUB_X64 STUB_AA64 KERNEL_X64 RELEASE_X64
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 stub_x64=$2 stub_aa64=$3 kernel=$4 release=$5

make_tmp


# expect_refusal NAME EXIT_CODE STDERR_REGEX -- zuki args...  (output, if any, is $tmp/out.efi)
expect_refusal() {
        local name=$1 code=$2 regex=$3
        shift 4
        rm -f "$tmp/out.efi"
        "$zuki" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
        local rc=$?
        local lines
        lines=$(wc -l <"$tmp/stderr")
        if [[ $rc -ne $code ]]; then
                bad "$name: exit $rc, expected $code ($(cat "$tmp/stderr"))"
        elif [[ $lines -ne 1 ]]; then
                bad "$name: $lines lines on stderr, expected exactly one: $(cat "$tmp/stderr")"
        elif ! grep -Eq "^zuki: $regex" "$tmp/stderr"; then
                bad "$name: stderr '$(cat "$tmp/stderr")' does not match /$regex/"
        elif [[ -e $tmp/out.efi ]]; then
                bad "$name: an output file was left behind"
        elif compgen -G "$tmp/*zuki-tmp*" >/dev/null; then
                bad "$name: a temporary file was left behind"
        else
                ok "$name -> $(cat "$tmp/stderr")"
        fi
}

head -c 100000 /dev/urandom >"$tmp/random.bin"
printf 'MZ' >"$tmp/mz-only.bin"
cp "$kernel" "$tmp/i386.efi"
# Make a copy of the kernel claim to be for i386 (COFF Machine 0x014c at e_lfanew + 4).
/usr/bin/python3 - "$tmp/i386.efi" <<'PY'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, 'rb').read())
lfanew = struct.unpack_from('<I', d, 0x3c)[0]
struct.pack_into('<H', d, lfanew + 4, 0x014c)
open(p, 'wb').write(d)
PY

expect_refusal "no verb" 2 "No verb" --
expect_refusal "unknown verb" 2 "Unknown verb" -- frobnicate
expect_refusal "zboot without kernel" 2 "zuki zboot takes exactly one" -- zboot -o "$tmp/out.efi"
expect_refusal "bad level" 1 "Compression level 99" -- zboot --level 99 -o "$tmp/out.efi" "$kernel"
expect_refusal "missing kernel" 1 "Cannot open" -- zboot -o "$tmp/out.efi" "$tmp/nonexistent"
expect_refusal "directory as kernel" 1 ".* is not a regular file" -- zboot -o "$tmp/out.efi" "$tmp"
expect_refusal "random bytes" 1 ".* is not a kernel with an EFI stub: not a PE image" -- zboot -o "$tmp/out.efi" "$tmp/random.bin"
expect_refusal "truncated MZ" 1 ".* is not a kernel with an EFI stub: data is truncated" -- zboot -o "$tmp/out.efi" "$tmp/mz-only.bin"
expect_refusal "EFI app that is not a kernel" 1 ".* not a Linux bzImage" -- zboot -o "$tmp/out.efi" "$stub_x64"
expect_refusal "unknown architecture" 1 ".* unsupported machine type" -- zboot -o "$tmp/out.efi" "$tmp/i386.efi"
expect_refusal "stub for the wrong architecture" 1 "Stub is for arm64, the kernel for x86_64" -- zboot --stub "$stub_aa64" -o "$tmp/out.efi" "$kernel"
expect_refusal "missing stub" 1 "Cannot open" -- zboot --stub "$tmp/nonexistent" -o "$tmp/out.efi" "$kernel"
expect_refusal "output directory missing" 1 "Cannot create a temporary file" -- zboot -o "$tmp/no/such/dir/out.efi" "$kernel"
expect_refusal "inspect random bytes" 1 "Not a PE image" -- inspect "$tmp/random.bin"

# A good run.
if "$zuki" zboot --level 3 -o "$tmp/good.efi" "$kernel" >"$tmp/stdout" 2>"$tmp/stderr"; then
        ok "zboot -> $(cat "$tmp/stdout")"
else
        bad "zboot of a real kernel failed: $(cat "$tmp/stderr")"
fi

expect_refusal "zboot image as kernel" 1 ".* is already a zboot image" -- zboot -o "$tmp/out.efi" "$tmp/good.efi"
expect_refusal "output replacing the input" 1 "Output .* would replace the input kernel" -- zboot -o "$tmp/good.efi" "$tmp/good.efi"

# A failing run must not touch an existing output.
echo "previous contents" >"$tmp/keep.efi"
"$zuki" zboot -o "$tmp/keep.efi" "$tmp/random.bin" 2>/dev/null
if [[ $(cat "$tmp/keep.efi") == "previous contents" ]]; then
        ok "a refused run leaves an existing output untouched"
else
        bad "a refused run changed the existing output"
fi

# inspect --json reports what the image holds; the release is Debian's, not ours.
"$zuki" inspect --json "$tmp/good.efi" >"$tmp/inspect.json" || bad "inspect --json failed"
got=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["type"], r["zboot"]["codec"], r["kernel"]["machine"], r["kernel"]["release"])' "$tmp/inspect.json")
if [[ $got == "zboot zstd x86_64 $release" ]]; then
        ok "inspect --json: $got"
else
        bad "inspect --json says '$got', expected 'zboot zstd x86_64 $release'"
fi
# An addon (zuki build --addon, on zukiaddonx64.efi.stub from ZUKI_STUB_DIR): inspect names its
# type and what a UKI's stub takes from it; the addon stub itself is no addon.
"$zuki" build --addon --efi-arch x64 --cmdline "zuki.addon=cli" --uname "$release" --output "$tmp/cli.addon.efi" \
        >/dev/null || bad "zuki build --addon failed"
"$zuki" inspect --json "$tmp/cli.addon.efi" >"$tmp/addon.json" || bad "inspect --json of the addon failed"
got=$(/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["type"], r["pe"]["machine"], " ".join(r["addon"]["sections"]), r["addon"]["cmdline"], r["addon"]["uname"],
      " ".join(s["name"] for s in r["pe"]["sections"]))' "$tmp/addon.json")
want="addon x86_64 .cmdline .uname zuki.addon=cli $release .text .rdata .sbat .cmdline .uname"
[[ $got == "$want" ]] && ok "addon: inspect --json: $got" || bad "addon: inspect --json says '$got', expected '$want'"
stub_type=$("$zuki" inspect --json "${ZUKI_STUB_DIR:?}/zukiaddonx64.efi.stub" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["type"])')
[[ $stub_type == pe ]] && ok "the addon stub alone is a plain PE" || bad "the addon stub alone is a '$stub_type'"

# Captured, not piped into grep -q: the help is longer than one stdio buffer, and grep -q exiting
# at the first match can leave zuki's second write to a closed pipe (SIGPIPE, status 141, which
# pipefail then reports; seen once under load).
help=$("$zuki" --help) version=$("$zuki" --version)
if [[ $help == *"zuki zboot"* && $version =~ ^zuki\ [0-9] ]]; then
        ok "--help and --version"
else
        bad "--help or --version"
fi

summary
