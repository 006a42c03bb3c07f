#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki extract gives back what went in, as other tools read it:
#   - the kernel of a zboot image (arm64, x86_64 efistub) and of a UKI's .linux is byte for byte
#     the Debian kernel file `zuki zboot` was given (cmp);
#   - a UKI's sections equal what `objcopy --dump-section` (binutils) dumps for an x86_64 UKI,
#     what pefile reads up to VirtualSize for an arm64 one (host binutils cannot read arm64 PE),
#     and what went into `zuki build` (the command line, os-release, initrd, the zboot image);
#   - a profile's sections are that profile's;
# and it refuses, with one line on stderr and nothing written, what it cannot give back: an x86
# direct-boot payload, a PE that is no zuki image, a truncated file, an unknown or absent section,
# a non-empty output directory.
#   test-extract.sh ZUKI ZBOOT_AA64 ZBOOT_X64_DIRECT KERNEL_ARM64 KERNEL_AMD64
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 zboot_aa64=$2 zboot_x64_direct=$3 image_arm64=$4 bzimage=$5
need_tool objcopy binutils
"$ZUKI_SYSTEM_PYTHON" -c 'import pefile' 2>/dev/null || skip "python3-pefile not installed"
make_tmp

# same NAME FILE EXPECTED: ok when the two files are byte for byte equal.
same() {
        if cmp -s "$2" "$3"; then ok "$1 ($(stat -c %s "$2") bytes)"; else bad "$1: $2 differs from $3"; fi
}

# pefile_dump IMAGE NAME INDEX OUT: the INDEX-th section called NAME, up to VirtualSize.
pefile_dump() {
        "$ZUKI_SYSTEM_PYTHON" - "$@" <<'EOF'
import sys, pefile
image, name, index, out = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
pe = pefile.PE(image, fast_load=True)
matches = [s for s in pe.sections if s.Name.rstrip(b"\0") == name]
s = matches[index]
open(out, "wb").write(s.get_data()[: s.Misc_VirtualSize])
EOF
}

# What is at PATH: nothing, a directory's listing or a file's digest.
state_of() {
        if [[ -d $1 ]]; then echo "dir: $(ls -A "$1")"; elif [[ -e $1 ]]; then sha256sum <"$1"; else echo absent; fi
}

# refuse NAME REGEX OUTPUT ARGS...: exit non-zero, one line on stderr matching REGEX, OUTPUT not
# changed (not created, a directory's contents or a file's bytes as they were), no temporary left
# beside it.
refuse() {
        local name=$1 regex=$2 output=$3 before after rc lines
        shift 3
        before=$(state_of "$output")
        "$zuki" extract "$@" >"$tmp/stdout" 2>"$tmp/stderr"
        rc=$?
        lines=$(wc -l <"$tmp/stderr")
        after=$(state_of "$output")
        if [[ $rc -eq 0 || $lines -ne 1 ]] || ! grep -Eq "^zuki: $regex" "$tmp/stderr" || [[ $before != "$after" ]] ||
                compgen -G "$(dirname "$output")/*zuki-tmp*" >/dev/null; then
                bad "$name: exit $rc, stderr: $(cat "$tmp/stderr")"
        else
                ok "$name -> $(cat "$tmp/stderr")"
        fi
}

# --- kernels ---------------------------------------------------------------------------------
"$zuki" extract --output "$tmp/Image" "$zboot_aa64" >"$tmp/said" || fail "extract of the arm64 zboot image failed"
same "arm64 zboot image -> the Debian arm64 Image" "$tmp/Image" "$image_arm64"
grep -q "arm64 Image" "$tmp/said" && ok "says it wrote an arm64 Image" || bad "said: $(cat "$tmp/said")"

"$zuki" zboot --level 3 --x86-boot=efistub --output "$tmp/x64-efistub.efi" "$bzimage" >/dev/null ||
        fail "zuki zboot --x86-boot=efistub failed"
"$zuki" extract --json --output "$tmp/bzImage" "$tmp/x64-efistub.efi" >"$tmp/x64.json" || fail "extract of the x86_64 efistub image failed"
same "x86_64 efistub zboot image -> the Debian bzImage" "$tmp/bzImage" "$bzimage"
"$ZUKI_SYSTEM_PYTHON" - "$tmp/x64.json" "$tmp/bzImage" <<'EOF' && ok "--json names the bzImage and its size" || bad "--json: $(cat "$tmp/x64.json")"
import json, os, sys
j = json.load(open(sys.argv[1]))
w = j["written"]
assert len(w) == 1 and w[0]["path"] == sys.argv[2] and w[0]["kernel"] == "bzImage", w
assert w[0]["size"] == os.path.getsize(sys.argv[2]) and w[0]["machine"] == "x86_64", w
EOF

refuse "x86_64 direct-boot payload" ".*re-packed for zuki's direct boot.*--x86-boot=efistub" "$tmp/vmlinux" \
        --output "$tmp/vmlinux" "$zboot_x64_direct"

# --- UKI sections ----------------------------------------------------------------------------
printf 'ID=zuki-test\nNAME="zuki extract test"\n' >"$tmp/os-release"
head -c 300000 /dev/urandom >"$tmp/initrd"
cmdline="console=ttyAMA0 zuki.test=extract"
"$zuki" build --linux "$zboot_aa64" --initrd "$tmp/initrd" --cmdline "$cmdline" --os-release "@$tmp/os-release" \
        --output "$tmp/uki-aa64.efi" >/dev/null || fail "zuki build (arm64) failed"
"$zuki" extract --sections "$tmp/aa64" "$tmp/uki-aa64.efi" >/dev/null || fail "extract --sections (arm64) failed"
printf '%s' "$cmdline" >"$tmp/cmdline"
same "arm64 UKI: .cmdline is the --cmdline text" "$tmp/aa64/cmdline" "$tmp/cmdline"
same "arm64 UKI: .osrel is the os-release file" "$tmp/aa64/osrel" "$tmp/os-release"
same "arm64 UKI: .initrd is the initrd" "$tmp/aa64/initrd" "$tmp/initrd"
same "arm64 UKI: .linux is the zboot image" "$tmp/aa64/linux" "$zboot_aa64"
for f in "$tmp"/aa64/*; do
        pefile_dump "$tmp/uki-aa64.efi" ".${f##*/}" 0 "$tmp/pefile-section"
        same "arm64 UKI: ${f##*/} as pefile reads .${f##*/}" "$f" "$tmp/pefile-section"
done
"$zuki" extract --output "$tmp/Image-from-uki" "$tmp/uki-aa64.efi" >/dev/null || fail "extract of the arm64 UKI's kernel failed"
same "arm64 UKI -> the Debian arm64 Image" "$tmp/Image-from-uki" "$image_arm64"

"$zuki" build --linux "$tmp/x64-efistub.efi" --initrd "$tmp/initrd" --cmdline "console=ttyS0" \
        --os-release "@$tmp/os-release" --output "$tmp/uki-x64.efi" >/dev/null || fail "zuki build (x86_64) failed"
mkdir "$tmp/x64" # an empty directory is taken over
"$zuki" extract --json --sections "$tmp/x64" "$tmp/uki-x64.efi" >"$tmp/sections.json" || fail "extract --sections (x86_64) failed"
count=0
for f in "$tmp"/x64/*; do
        objcopy --dump-section ".${f##*/}=$tmp/objcopy-section" "$tmp/uki-x64.efi" "$tmp/objcopy-out" ||
                fail "objcopy --dump-section .${f##*/} failed"
        same "x86_64 UKI: ${f##*/} as objcopy --dump-section gives .${f##*/}" "$f" "$tmp/objcopy-section"
        count=$((count + 1))
done
listed=$("$ZUKI_SYSTEM_PYTHON" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["written"]))' "$tmp/sections.json")
[[ $count -ge 6 && $listed -eq $count ]] && ok "--json lists the $count files written" || bad "$count files, $listed in --json"
"$zuki" extract --output "$tmp/bzImage-from-uki" "$tmp/uki-x64.efi" >/dev/null || fail "extract of the x86_64 UKI's kernel failed"
same "x86_64 UKI -> the Debian bzImage" "$tmp/bzImage-from-uki" "$bzimage"

"$zuki" extract --section .osrel --output "$tmp/one-osrel" "$tmp/uki-x64.efi" >/dev/null || fail "extract --section .osrel failed"
same "--section .osrel" "$tmp/one-osrel" "$tmp/os-release"

# --- profiles --------------------------------------------------------------------------------
"$zuki" build --linux "$zboot_aa64" --cmdline "base" --os-release "@$tmp/os-release" \
        --profile ID=zero --profile-cmdline "profile zero" --profile ID=one --profile-cmdline "profile one" \
        --output "$tmp/uki-profiles.efi" >/dev/null || fail "zuki build with profiles failed"
for p in 0 1; do
        "$zuki" extract --profile "$p" --sections "$tmp/profile$p" "$tmp/uki-profiles.efi" >/dev/null ||
                fail "extract --profile $p failed"
        [[ $p == 0 ]] && want="profile zero" || want="profile one"
        printf '%s' "$want" >"$tmp/want"
        same "profile $p: .cmdline is its own" "$tmp/profile$p/cmdline" "$tmp/want"
        printf 'ID=%s' "$([[ $p == 0 ]] && echo zero || echo one)" >"$tmp/want"
        same "profile $p: .profile is its own" "$tmp/profile$p/profile" "$tmp/want"
        same "profile $p: .osrel is the base's" "$tmp/profile$p/osrel" "$tmp/os-release"
done

# --- refusals --------------------------------------------------------------------------------
refuse "a PE kernel that is no zuki image" ".* is neither a zboot image nor a UKI" "$tmp/out" --output "$tmp/out" "$image_arm64"
head -c 4000000 "$zboot_aa64" >"$tmp/truncated.efi"
refuse "a truncated zboot image" ".*truncated.efi is not a zboot image or UKI: a PE section lies outside the image" "$tmp/out" \
        --output "$tmp/out" "$tmp/truncated.efi"
refuse "an unknown section name" "Unknown UKI section '.nosuch'" "$tmp/out" --section .nosuch --output "$tmp/out" "$tmp/uki-x64.efi"
refuse "a section the UKI does not have" ".*profile 0 has no .splash section" "$tmp/out" --section splash --output "$tmp/out" "$tmp/uki-x64.efi"
refuse "a profile the UKI does not have" ".* has no profile 2" "$tmp/dir2" --profile 2 --sections "$tmp/dir2" "$tmp/uki-profiles.efi"
refuse "sections of a zboot image" ".* is not a UKI" "$tmp/dir3" --sections "$tmp/dir3" "$zboot_aa64"
mkdir "$tmp/full" && echo keep >"$tmp/full/mine"
refuse "a non-empty output directory" ".*/full exists and is not empty; not writing into it" "$tmp/full" \
        --sections "$tmp/full" "$tmp/uki-x64.efi"
refuse "output over the input" "Output .* would replace the input image" "$tmp/uki-x64.efi" \
        --output "$tmp/uki-x64.efi" "$tmp/uki-x64.efi"
summary
