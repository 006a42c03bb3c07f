#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Every zuki verb that writes (zboot, build, sign, genkey, and measure --private-key, whose output
# is the .pcrsig JSON on stdout) under bad conditions: malformed kernels and the wrong
# architecture for build, inputs the caller may not read (run as nobody), and a full output file
# system (a small tmpfs) or a full stdout (/dev/full). Each: exactly one "zuki: " line on stderr,
# a non-zero exit, no output and no temporary file left behind, an existing file left as it was.
# (zboot's malformed/architecture cases and zboot on a full disk are in test-zuki-cli.sh and
# test-full-disk.sh; key refusals in test/policy and test/sign.)
#   test-hostile-host.sh ZUKI STUB_X64 STUB_AA64 KERNEL_X64 ZBOOT_X64
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
abs() { realpath -e "$1" || exit 1; }
zuki=$(abs "$1") stub_x64=$(abs "$2") stub_aa64=$(abs "$3") kernel=$(abs "$4") zboot=$(abs "$5")
[[ $(id -u) -eq 0 ]] || skip "needs root (a tmpfs, and setpriv to run as nobody)"
need_tool setpriv util-linux
need_tool openssl openssl

make_tmp
mnt=$tmp/mnt
mkdir "$mnt"
# shellcheck disable=SC2016 # expanded at exit
at_exit 'mountpoint -q "$mnt" && umount "$mnt"'
mount -t tmpfs -o size=1m zuki-test "$mnt" || skip "cannot mount a tmpfs"
cd "$tmp" || exit 1
chmod 755 "$tmp"

# refuse NAME REGEX OUTPUT [env...] -- COMMAND...: COMMAND must fail with one line matching
# ^zuki: REGEX and leave OUTPUT (if given) absent and no *.zuki-tmp-* file in . or $mnt.
refuse() {
        local name=$1 regex=$2 output=$3
        shift 4
        [[ -n $output ]] && rm -f "$output"
        "$@" >stdout 2>stderr
        local rc=$? lines
        lines=$(wc -l <stderr)
        if ((rc == 0)); then
                bad "$name: exit 0"
        elif ((lines != 1)); then
                bad "$name: $lines lines on stderr: $(cat stderr)"
        elif ! grep -Eq "^zuki: $regex" stderr; then
                bad "$name: stderr '$(cat stderr)' does not match /$regex/"
        elif [[ -n $output && -e $output ]]; then
                bad "$name: $output was left behind"
        elif find . -name '*.zuki-tmp-*' | grep -q .; then
                bad "$name: a temporary file was left behind: $(find . -name '*.zuki-tmp-*')"
        else
                ok "$name -> $(cat stderr)"
        fi
}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# --- inputs ---
head -c 100000 /dev/urandom >random.bin
printf 'MZ' >mz-only.bin
cp "$kernel" i386.efi
/usr/bin/python3 - i386.efi <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
struct.pack_into('<H', d, struct.unpack_from('<I', d, 0x3c)[0] + 4, 0x014c)  # COFF Machine: i386
open(sys.argv[1], 'wb').write(d)
PY
openssl req -x509 -newkey rsa:2048 -nodes -keyout db.key -out db.crt -subj /CN=zuki-test -days 1 2>/dev/null ||
        { echo "FAIL: openssl req"; exit 1; }
cp "$stub_x64" image.efi
echo initrd >initrd.img
# Readable by root only: nobody gets EACCES.
cp "$kernel" secret-kernel
cp "$zboot" secret-zboot.efi
cp "$zboot" zboot.efi # readable by nobody whatever the modes of the build tree's directories
cp db.key open.key
chmod 600 secret-kernel secret-zboot.efi initrd.img db.key
chmod 644 db.crt open.key image.efi random.bin mz-only.bin i386.efi zboot.efi
mkdir out && chmod 777 out

# --- build: malformed kernels, wrong architecture ---
b=("$zuki" build --no-os-release --output out/uki.efi)
refuse "build: random bytes as kernel" 'random.bin is not a kernel with an EFI stub: not a PE image' out/uki.efi -- "${b[@]}" --linux random.bin
refuse "build: truncated MZ as kernel" 'mz-only.bin is not a kernel with an EFI stub: data is truncated' out/uki.efi -- "${b[@]}" --linux mz-only.bin
refuse "build: i386 kernel" 'i386.efi.* unsupported machine type' out/uki.efi -- "${b[@]}" --linux i386.efi
refuse "build: arm64 stub, x86_64 kernel" 'Stub is for arm64, the kernel for x86_64' out/uki.efi -- "${b[@]}" --stub "$stub_aa64" --linux "$kernel"
refuse "build --no-compress: arm64 stub, x86_64 kernel" 'Stub is for arm64, the kernel for x86_64' out/uki.efi -- \
        "${b[@]}" --no-compress --stub "$stub_aa64" --linux "$kernel"
refuse "build: x86_64 stub, arm64 zboot image" 'Stub is for x86_64, the kernel for arm64' out/uki.efi -- \
        "${b[@]}" --stub "$stub_x64" --linux "$(dirname "$zboot")/zboot-aa64.efi"

# --- inputs the caller cannot read (EACCES) ---
refuse "zboot: unreadable kernel" 'Cannot open secret-kernel: Permission denied' out/z.efi -- as_nobody "$zuki" zboot -o out/z.efi secret-kernel
refuse "build: unreadable kernel" 'Cannot open secret-zboot.efi: Permission denied' out/uki.efi -- \
        as_nobody "$zuki" build --no-os-release --linux secret-zboot.efi --output out/uki.efi
refuse "build: unreadable initrd" 'Cannot open initrd.img: Permission denied' out/uki.efi -- \
        as_nobody "$zuki" build --no-os-release --linux zboot.efi --initrd initrd.img --output out/uki.efi
refuse "sign: unreadable key" 'Cannot open db.key: Permission denied' out/s.efi -- \
        as_nobody "$zuki" sign --private-key db.key --certificate db.crt --output out/s.efi image.efi
refuse "sign: unreadable image" 'Cannot open secret-zboot.efi: Permission denied' out/s.efi -- \
        as_nobody "$zuki" sign --private-key open.key --certificate db.crt --output out/s.efi secret-zboot.efi
refuse "measure --private-key: unreadable key" 'Cannot open db.key: Permission denied' "" -- \
        as_nobody "$zuki" measure --linux zboot.efi --private-key db.key
refuse "genkey: directory not writable" 'Cannot create a temporary file in \.: Permission denied' "" -- \
        as_nobody "$zuki" genkey --pcr-private-key k.pem
[[ -e k.pem ]] && bad "genkey as nobody left k.pem"

# --- a full output file system (1 MiB tmpfs) ---
refuse "build: full disk" "Cannot write $mnt/uki.efi: No space left on device" "$mnt/uki.efi" -- \
        "$zuki" build --no-os-release --linux "$zboot" --output "$mnt/uki.efi"
refuse "sign: full disk" "Cannot write $mnt/s.efi: No space left on device" "$mnt/s.efi" -- \
        "$zuki" sign --private-key db.key --certificate db.crt --output "$mnt/s.efi" "$zboot"
# In place: the image fits, its signed copy does not; the original must survive untouched.
cp image.efi "$mnt/image.efi"
avail=$(df -B1 --output=avail "$mnt" | tail -n 1)
head -c "$avail" /dev/zero >"$mnt/fill" 2>/dev/null
refuse "sign in place: full disk" "Cannot write $mnt/image.efi: No space left on device" "" -- \
        "$zuki" sign --private-key db.key --certificate db.crt "$mnt/image.efi"
if cmp -s image.efi "$mnt/image.efi"; then ok "the image signed in place is unchanged"; else bad "sign in place changed the image"; fi
refuse "genkey: full disk" "Cannot write $mnt/k.pem: No space left on device" "$mnt/k.pem" -- \
        "$zuki" genkey --pcr-private-key "$mnt/k.pem" --pcr-public-key "$mnt/k.pub"
# Room for the private key but not for the public key: neither may be left.
rm -f "$mnt/fill"
avail=$(df -B1 --output=avail "$mnt" | tail -n 1)
head -c $((avail - 4096)) /dev/zero >"$mnt/fill"
refuse "genkey: disk full after the private key" "Cannot write $mnt/k.pub: No space left on device" "$mnt/k.pem" -- \
        "$zuki" genkey --pcr-private-key "$mnt/k.pem" --pcr-public-key "$mnt/k.pub"
left=$(find "$mnt" -mindepth 1 ! -name fill ! -name image.efi -printf '%f ')
if [[ -z $left ]]; then
        ok "nothing but the test's own files (fill, image.efi) on the full disk"
else
        bad "left on the full disk: $left"
fi

# --- a full stdout: the verb's result is what it prints ---
refuse "measure --private-key: stdout full" 'Cannot write to standard output: No space left on device' "" -- \
        bash -c '"$@" >/dev/full' - "$zuki" measure --linux "$zboot" --private-key db.key
refuse "zboot --json: stdout full" 'Cannot write to standard output: No space left on device' "" -- \
        bash -c '"$@" >/dev/full' - "$zuki" zboot --level 1 --json -o out/z.efi "$kernel"
refuse "inspect --json: stdout full" 'Cannot write to standard output: No space left on device' "" -- \
        bash -c '"$@" >/dev/full' - "$zuki" inspect --json "$zboot"
head -c "$(df -B1 --output=avail "$mnt" | tail -n 1)" /dev/zero >"$mnt/fill2" 2>/dev/null
refuse "measure --private-key > a file on a full disk" 'Cannot write to standard output: No space left on device' "" -- \
        bash -c '"$@" >"'"$mnt"'/sig.json"' - "$zuki" measure --linux "$zboot" --private-key db.key

summary
