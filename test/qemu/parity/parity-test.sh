#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Stub parity: the same kernel, initrd and ESP contents booted twice in QEMU/OVMF with a software
# TPM, once as a UKI on stub A and once on stub B (`zuki build --no-compress`: the same sections on
# both, the kernel as given, since systemd-stub 262 refuses a zboot image as .linux), must show a
# user the same things (parity-observe.py): PCR 1, 12 and 13 and their event log entries (type,
# digest, data), the initramfs with its /.extra tree (names, modes, sha256), /proc/cmdline, the
# SecureBoot variable, and the Stub* and Loader* EFI variables except StubInfo and the --may-differ
# ones. PCR 11 is not compared: it covers each stub's own .sbat. A difference is printed as a
# unified diff (A is "-", B is "+") and fails the test, as does a serial-expect or observed-expect
# count that is not met (below).
#
#   parity-test.sh --zuki ZUKI --linux KERNEL --initrd INITRD --case DIR --stub-a STUB --stub-b STUB
#                  [--may-differ GLOB]... [--firmware FW] [--secure-boot] [--arch x86_64|aarch64]
#                  [--no-tpm] [--http-boot] [--chain EFI] [--keep DIR]
#
#   --case DIR        a tree copied onto the ESP, next to the UKI, which boots as
#                     \EFI\BOOT\BOOTX64.EFI (so its per-UKI drop-ins are in
#                     EFI/BOOT/BOOTX64.EFI.extra.d/, global ones in loader/credentials/,
#                     loader/extensions/, loader/addons/). A directory NAME.addon.efi.src/ in it
#                     becomes the addon NAME.addon.efi, built by ukify 262 on systemd 262's addon
#                     stub from its files: cmdline (.cmdline, one line), initrd/ (a tree packed
#                     as a newc cpio into .initrd), uname (.uname, one line), linux (a file put
#                     in .linux: an "addon" that is a UKI), unsigned (empty: see --secure-boot).
#                     These files at the top of DIR are not copied:
#                       qemu-args     one more QEMU argument per line, for both boots (e.g.
#                                     -smbios type=11,value=...)
#                       uki-args      one more `zuki build` argument per line for both UKIs (e.g.
#                                     --uname 6.1.0-test)
#                       generate      files made at test time rather than committed, one per line
#                                     (PATH is relative to the ESP):
#                                       random PATH BYTES    pseudo-random bytes, the same every run
#                                       zeros PATH BYTES     a sparse file of zeros
#                                       asset PATH VAR       a copy of the asset file $VAR (assets.env)
#                                       many FORMAT COUNT    COUNT small files named by printf FORMAT
#                                                            with 1..COUNT (e.g. d/%04d.cred)
#                                       text PATH WORDS...   a file holding WORDS (PATH may be non-ASCII)
#                                       longname DIR LENGTH SUFFIX  a file in DIR whose name is
#                                                            LENGTH characters long, ending in SUFFIX
#                       serial-expect "COUNT REGEX" lines: on each side, exactly COUNT lines of the
#                                     serial log before the kernel's first line (firmware and stub
#                                     messages) match grep -E REGEX
#                       observed-expect  "COUNT REGEX" lines: the same over the observations (so a
#                                     case can say what both stubs must do, not only that they agree)
#                       observed-expect.ARCH  more such lines, for --arch ARCH only
#                       shared-state  "a-first" or "b-first": the two boots run one after the other
#                                     on the same variable store and ESP (the second starts from what
#                                     the first left), in that order, so that what one stub creates
#                                     (LoaderBootSecret, \loader\boot-secret-mixin) the other must
#                                     accept: both must then hand the guest the same
#                                     /.extra/boot-secret. Also checked from the host, after each
#                                     boot: \loader\random-seed was rewritten (32 bytes, new
#                                     contents), the mixin is 32 bytes and stays, LoaderBootSecret
#                                     is 32 bytes with attributes NV+BS (no runtime access).
#   --may-differ GLOB a Stub* variable allowed to differ (e.g. StubFeatures); repeatable
#   --secure-boot     boot trixie's secboot OVMF with a fresh key enrolled as PK, KEK and db
#                     (virt-firmware, no Microsoft keys); both UKIs and every addon built from a
#                     NAME.addon.efi.src/ without an "unsigned" file are signed with it (sbsign)
#   --arch aarch64    boot under AAVMF with the arm64 kernel and initrd given (a plain Image: the
#                     same --no-compress rule) as \EFI\BOOT\BOOTAA64.EFI; the case's
#                     EFI/BOOT/BOOTX64.EFI.extra.d/ becomes EFI/BOOT/BOOTAA64.EFI.extra.d/ and addons
#                     are built on systemd 262's arm64 addon stub. Debian's arm64 kernels have no
#                     driver for QEMU's arm64 TPM, so PCR 12 is read through the TIS registers
#                     (tis-pcr-read.sh) and PCR 1, PCR 13 and the event log are not compared.
#   --no-tpm          boot without a TPM: both stubs must then agree that nothing was measured
#                     (the guest finds no TPM; parity-observe.py --no-tpm) and on the variables
#                     they set anyway (LoaderTpm2ActivePcrBanks 0x00000000)
#   --http-boot       network boot: no ESP (the case may hold control files only); each UKI is
#                     served over HTTP as uki.efi and booted by OVMF's UEFI HTTP boot (boot.sh
#                     --http-boot, bookworm's OVMF). Both stubs must report the served URL, as
#                     the guest sees it, in StubDeviceURL and LoaderDeviceURL; the URL's port
#                     differs between the boots and is replaced by "(served URL)" before the
#                     comparison
#   --chain EFI       boot EFI as \EFI\BOOT\BOOT*.EFI: a test loader that prepares the firmware
#                     and starts the UKI, which is then \EFI\zuki\uki.efi (so the case's drop-in
#                     directory becomes EFI/zuki/uki.efi.extra.d/); edid-chain.efi installs a
#                     display EDID. Both sides' serial logs must show the loader's line
#                     "... starting \EFI\zuki\uki.efi"
#   --keep DIR        keep the UKIs, serial logs and observations in DIR
#
# The UKI's command line is "console=ttyS0 panic=-1" (ttyAMA0 on aarch64) in its .cmdline: a UKI
# started from the ESP gets no load options, and under Secure Boot none could override it. Exit: 0 no difference, 1 a difference or a failed boot, 77 a missing asset.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../../lib/esp-case.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../lib/esp-case.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
qemu_dir=$(dirname "$here")

zuki="" linux="" initrd="" case_dir="" stub_a="" stub_b="" firmware=bookworm keep="" secure_boot=0 arch=x86_64
no_tpm=0 http_boot=0 chain=""
may_differ=()
while (($#)); do
        [[ $1 == --secure-boot ]] && { secure_boot=1; shift; continue; }
        [[ $1 == --http-boot ]] && { http_boot=1; shift; continue; }
        [[ $1 == --no-tpm ]] && { no_tpm=1; shift; continue; }
        (($# >= 2)) || { echo "parity-test: $1 needs a value" >&2; exit 2; }
        case $1 in
        --zuki) zuki=$2 ;;
        --linux) linux=$2 ;;
        --initrd) initrd=$2 ;;
        --case) case_dir=$2 ;;
        --stub-a) stub_a=$2 ;;
        --stub-b) stub_b=$2 ;;
        --may-differ) may_differ+=(--may-differ "$2") ;;
        --firmware) firmware=$2 ;;
        --arch) arch=$2 ;;
        --keep) keep=$2 ;;
        --chain) chain=$2 ;;
        *) echo "parity-test: unknown argument $1" >&2; exit 2 ;;
        esac
        shift 2
done
for v in zuki linux initrd case_dir stub_a stub_b; do
        [[ -n ${!v} ]] || { echo "parity-test: --${v//_/-} is required" >&2; exit 2; }
done
[[ -d $case_dir ]] || fail "no case directory $case_dir"
for f in "$zuki" "$linux" "$initrd" "$stub_a" "$stub_b" ${chain:+"$chain"}; do
        [[ -r $f ]] || fail "no such file: $f"
done
case $arch in
x86_64) efi_name=BOOTX64.EFI addon_stub_var=ZUKI_SYSTEMD262_ADDON_X64 console=ttyS0 observe_args=() ;;
aarch64) efi_name=BOOTAA64.EFI addon_stub_var=ZUKI_SYSTEMD262_ADDON_AA64 console=ttyAMA0 observe_args=(--tis) ;;
*) echo "parity-test: --arch must be x86_64 or aarch64" >&2; exit 2 ;;
esac
[[ $arch == x86_64 || $secure_boot == 0 ]] || { echo "parity-test: --secure-boot is for x86_64 only" >&2; exit 2; }
# The TPM: attached by boot.sh, or not and then parity-observe.py must find none.
tpm=(--tpm)
((no_tpm)) && { tpm=(); observe_args+=(--no-tpm); }
[[ $http_boot == 0 || ($arch == x86_64 && $secure_boot == 0 && $firmware == bookworm) ]] ||
        { echo "parity-test: --http-boot is for x86_64 on bookworm's OVMF, without --secure-boot" >&2; exit 2; }
[[ -z $chain || ($http_boot == 0 && $secure_boot == 0) ]] ||
        { echo "parity-test: --chain is not for --http-boot or --secure-boot (the loader is unsigned)" >&2; exit 2; }
load_assets
make_tmp

# --- Secure Boot: a fresh key, enrolled as PK, KEK and db into a copy of trixie's variables ---
vars_args=()
if ((secure_boot)); then
        firmware=trixie-secboot
        need_tool sbsign sbsigntool
        need_secboot_firmware
        openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/db.key" -out "$tmp/db.crt" \
                -subj "/CN=zuki parity secure boot/" -days 3650 -sha256 2>/dev/null || fail "openssl cannot make a key"
        secboot_vars "$tmp/sb-vars.fd" "$tmp/db.crt" "$tmp/db.crt" --no-microsoft
        vars_args=(--vars "$tmp/sb-vars.fd")
fi
sign() { # sign FILE: Authenticode-sign FILE in place with the enrolled db key
        sbsign --key "$tmp/db.key" --cert "$tmp/db.crt" --output "$1.signed" "$1" >"$tmp/sbsign.out" 2>&1 ||
                { cat "$tmp/sbsign.out"; fail "sbsign ${1#"$tmp/"}"; }
        mv "$1.signed" "$1"
}

# --- The ESP's extra contents, identical for both boots ---
cp -r "$case_dir" "$tmp/esp" || fail "copying $case_dir"
uki_dir=EFI/BOOT uki_name=$efi_name
[[ -n $chain ]] && uki_dir=EFI/zuki uki_name=uki.efi
if [[ $uki_dir/$uki_name != EFI/BOOT/BOOTX64.EFI && -d $tmp/esp/EFI/BOOT/BOOTX64.EFI.extra.d ]]; then
        mkdir -p "$tmp/esp/$uki_dir" &&
                mv "$tmp/esp/EFI/BOOT/BOOTX64.EFI.extra.d" "$tmp/esp/$uki_dir/$uki_name.extra.d" ||
                fail "moving the drop-in directory"
fi
# case_file NAME: the lines of the case's control file NAME (removed from the ESP), empty ones dropped
case_file() {
        [[ -f $tmp/esp/$1 ]] || return 0
        grep -v '^[[:space:]]*$' "$tmp/esp/$1"
        rm "$tmp/esp/$1"
}
qemu_args=() uki_args=()
while IFS= read -r a; do qemu_args+=(--qemu-arg "$a"); done < <(case_file qemu-args)
while IFS= read -r a; do uki_args+=("$a"); done < <(case_file uki-args)
mapfile -t serial_expect < <(case_file serial-expect)
mapfile -t observed_expect < <(case_file observed-expect; case_file "observed-expect.$arch")
if ((no_tpm)); then
        # No TPM: the case's PCR and event log expectations cannot hold; what both stubs must do
        # instead is say there are no banks.
        mapfile -t observed_expect < <(printf '%s\n' "${observed_expect[@]}" | grep -Ev '^[0-9]+ \^(event|pcr) ')
        observed_expect+=("1 ^tpm none$" "1 ^efivar LoaderTpm2ActivePcrBanks 0x00000000$")
fi
rm -f "$tmp/esp"/observed-expect.* # the other architectures' checks
mapfile -t generate < <(case_file generate)
shared_state=$(case_file shared-state)
case $shared_state in
"" | a-first | b-first) ;;
*) fail "shared-state: want a-first or b-first, not $shared_state" ;;
esac
for line in "${generate[@]}"; do
        read -r kind path arg rest <<<"$line"
        [[ -n $path && $path != /* && $path != *..* ]] || fail "generate: bad line: $line"
        [[ $kind == longname ]] && path+=/
        mkdir -p "$(dirname "$tmp/esp/$path")"
        case $kind in
        random)
                "$ZUKI_SYSTEM_PYTHON" -c 'import random, sys; random.seed(sys.argv[1]); sys.stdout.buffer.write(random.randbytes(int(sys.argv[2])))' \
                        "$path" "$arg" >"$tmp/esp/$path" ;;
        zeros) truncate -s "$arg" "$tmp/esp/$path" ;;
        asset)
                need_asset "$arg" "$arg"
                cp "${!arg}" "$tmp/esp/$path" ;;
        many)
                for ((i = 1; i <= arg; i++)); do
                        # shellcheck disable=SC2059 # the format comes from the case
                        name=$(printf "$path" "$i")
                        echo "zuki parity: generated file $i" >"$tmp/esp/$name"
                done ;;
        text) echo "$arg${rest:+ $rest}" >"$tmp/esp/$path" ;;
        longname)
                name=$(printf 'n%.0s' $(seq $((arg - ${#rest})))) || fail "generate: bad line: $line"
                mkdir -p "$tmp/esp/$path"
                echo "zuki parity: a name of $arg characters" >"$tmp/esp/$path$name$rest" ;;
        *) fail "generate: unknown kind in: $line" ;;
        esac || fail "generate: $line"
done
mapfile -t addon_srcs < <(find "$tmp/esp" -type d -name '*.addon.efi.src' | sort)
if ((${#addon_srcs[@]})); then
        need_asset ZUKI_UKIFY262 "ukify 262"
        need_asset "$addon_stub_var" "systemd 262's addon stub ($arch)"
fi
for src in "${addon_srcs[@]}"; do
        addon=${src%.src}
        secure=$secure_boot
        [[ -e $src/unsigned ]] && secure=0
        esp_build_addon "$src" "${!addon_stub_var}" "$tmp/addon" "$arch"
        ((secure)) && sign "$addon"
done
esp_files=()
echo "ESP contents next to the UKI ($uki_dir/$uki_name):"
nfiles=0
while read -r f; do
        esp_files+=(--esp-file "$f=${f#"$tmp/esp/"}")
        # Long lists (generated files) are summarised: the first 20 and the count.
        ((++nfiles <= 20)) && echo "  ${f#"$tmp/esp/"} ($(stat -c %s "$f") bytes)"
done < <(find "$tmp/esp" -type f | LC_ALL=C sort)
((nfiles > 20)) && echo "  ... $nfiles files in all, $(du -s --apparent-size -B1M "$tmp/esp" | cut -f1) MiB"
((http_boot && nfiles > 0)) && fail "--http-boot: a network boot has no ESP for the case's files"

# --- The guest also reports PCR 1/12/13 and the whole initramfs (parity-hook.sh) ---
bash "$qemu_dir/uki-test.sh" --arch "$arch" --hook "$here/parity-hook.sh" --hook-cpio "$tmp/hook.cpio" ||
        fail "writing the hook initrd"

# firmware_lines LOG: what the firmware and the stub printed, before the kernel's first line
firmware_lines() { sed -n '/Linux version /q; /^ZUKI-GUEST: /d; p' "$1"; }
# With a shared state: the variable store and ESP the previous boot left (none before the first).
state_args=()
boot() { # boot SIDE STUB: the UKI on STUB from the ESP, its observations in $tmp/SIDE.txt
        local side=$1 stub=$2 rc
        local -a state=("${vars_args[@]}")
        if [[ -n $shared_state ]]; then
                ((${#state_args[@]})) && state=("${state_args[@]}")
                state+=(--save-vars "$tmp/$side.vars" --save-esp "$tmp/$side.esp")
        fi
        "$zuki" build --no-compress --stub "$stub" --linux "$linux" --initrd "$initrd" \
                --initrd "$tmp/hook.cpio" --cmdline "console=$console panic=-1" "${uki_args[@]}" --output "$tmp/$side.efi" ||
                fail "zuki build on stub $side"
        ((secure_boot)) && sign "$tmp/$side.efi"
        local -a source=(--esp-image "$tmp/$side.efi" "${esp_files[@]}")
        [[ -n $chain ]] && source=(--esp-image "$chain" --esp-file "$tmp/$side.efi=$uki_dir/$uki_name" "${esp_files[@]}")
        if ((http_boot)); then
                # The same name on both sides: the URL differs only in its port.
                mkdir -p "$tmp/$side" && cp "$tmp/$side.efi" "$tmp/$side/uki.efi" || fail "copying the UKI"
                source=(--http-boot "$tmp/$side/uki.efi")
        fi
        # C.UTF-8: mtools writes a non-ASCII name to FAT as the right UTF-16 only in a UTF-8 locale.
        LC_ALL=C.UTF-8 bash "$qemu_dir/boot.sh" --arch "$arch" --firmware "$firmware" "${state[@]}" "${tpm[@]}" --timeout 300 \
                "${source[@]}" "${qemu_args[@]}" --log "$tmp/$side.log" \
                --expect 'ZUKI-GUEST: done' >"$tmp/$side.boot" 2>&1
        rc=$?
        echo "stub $side ($stub): $(grep -a -m1 '^boot.sh: elapsed' "$tmp/$side.boot")"
        ((rc == 77)) && { tail -n 1 "$tmp/$side.boot"; exit 77; }
        ((rc == 0)) || { tail -n 30 "$tmp/$side.boot"; fail "stub $side: the guest did not boot to its report"; }
        "$ZUKI_SYSTEM_PYTHON" "$here/parity-observe.py" "$tmp/$side.log" "${may_differ[@]}" "${observe_args[@]}" >"$tmp/$side.txt" ||
                fail "stub $side: incomplete guest report"
        if ((http_boot)); then
                local url
                url=$(sed -n 's/^boot.sh: http-boot //p' "$tmp/$side.boot")
                [[ -n $url ]] || fail "stub $side: boot.sh did not say which URL it served"
                state_check "$side: StubDeviceURL is the served URL ($url)" grep -qxF "efivar StubDeviceURL $url" "$tmp/$side.txt"
                state_check "$side: LoaderDeviceURL is the served URL" grep -qxF "efivar LoaderDeviceURL $url" "$tmp/$side.txt"
                sed -i "s|$url|(served URL)|g" "$tmp/$side.txt" || fail "sed"
        fi
        local -a chain_expect=()
        [[ -n $chain ]] && chain_expect=('1 starting .EFI.zuki.uki\.efi')
        expect_counts "serial log" <(firmware_lines "$tmp/$side.log") "${serial_expect[@]}" "${chain_expect[@]}"
        expect_counts observations "$tmp/$side.txt" "${observed_expect[@]}"
        if [[ -n $shared_state ]]; then
                check_state "$side"
                state_args=(--vars "$tmp/$side.vars" --esp-from "$tmp/$side.esp")
        fi
}
# esp_file DISK PATH: a file of a saved ESP disk (partition at 1 MiB), on stdout
esp_file() { MTOOLS_SKIP_CHECK=1 mcopy -n -i "$1@@1048576" "::/$2" - 2>/dev/null; }
previous_seed="" previous_mixin=""
check_state() { # check_state SIDE: what boot SIDE left on the ESP and in the variable store
        local side=$1 seed mixin secret
        seed=$(esp_file "$tmp/$side.esp" loader/random-seed | od -An -tx1 -v | tr -d ' \n')
        mixin=$(esp_file "$tmp/$side.esp" loader/boot-secret-mixin | od -An -tx1 -v | tr -d ' \n')
        secret=$(PYTHONPATH=${ZUKI_VIRT_FIRMWARE_PYTHONPATH:-} "$ZUKI_SYSTEM_PYTHON" "$here/efivar-attributes.py" \
                "$tmp/$side.vars" LoaderBootSecret 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f) ||
                secret="unreadable ($secret)"
        state_check "$side: \\loader\\random-seed is 32 bytes" test "${#seed}" = 64
        state_check "$side: \\loader\\random-seed was rewritten" test "$seed" != "$previous_seed"
        state_check "$side: \\loader\\boot-secret-mixin is 32 bytes" test "${#mixin}" = 64
        [[ -n $previous_mixin ]] && state_check "$side: \\loader\\boot-secret-mixin is kept" test "$mixin" = "$previous_mixin"
        state_check "$side: LoaderBootSecret is 32 bytes, non-volatile, boot services only ($secret)" test "$secret" = "size=32 attributes=0x3"
        previous_seed=$seed previous_mixin=$mixin
}
state_check() { # state_check TEXT COMMAND...: one ok/FAIL line, failures counted with the expect ones
        local text=$1
        shift
        if "$@"; then
                echo "  ok: $text"
        else
                echo "  FAIL: $text"
                expect_failures=$((expect_failures + 1))
        fi
}
expect_counts() { # expect_counts WHAT FILE "COUNT REGEX"...: count lines of FILE matching each REGEX
        local what=$1 file=$2 line count regex n
        shift 2
        # FILE may be a pipe: read it once.
        local text
        text=$(cat "$file")
        for line in "$@"; do
                read -r count regex <<<"$line"
                n=$(grep -a -c -E -- "$regex" <<<"$text")
                if [[ $n == "$count" ]]; then
                        echo "  ok: $n line(s) of the $what match $regex"
                else
                        echo "  FAIL: $n line(s) of the $what match $regex, wanted $count"
                        expect_failures=$((expect_failures + 1))
                fi
                grep -a -E -- "$regex" <<<"$text" | head -n 3 | cut -c1-200 | sed 's/^/      | /'
        done
}
expect_failures=0
if [[ $shared_state == b-first ]]; then
        boot b "$stub_b"
        boot a "$stub_a"
else
        boot a "$stub_a"
        boot b "$stub_b"
fi
if [[ -n $keep ]]; then
        mkdir -p "$keep" && cp "$tmp"/{a,b}.{efi,log,txt} "$keep/" && echo "kept in $keep"
fi

echo "not compared (StubInfo, --may-differ):"
sed -n 's/^may-differ /  a: /p' "$tmp/a.txt"
sed -n 's/^may-differ /  b: /p' "$tmp/b.txt"
echo "compared: $(grep -c -v '^may-differ ' "$tmp/a.txt") observations of a," \
        "$(grep -c -v '^may-differ ' "$tmp/b.txt") of b"
if diff -u --label "a: $stub_a" --label "b: $stub_b" <(grep -v '^may-differ ' "$tmp/a.txt") \
        <(grep -v '^may-differ ' "$tmp/b.txt"); then
        ((expect_failures == 0)) || fail "$expect_failures serial-expect/observed-expect check(s) failed (above)"
        echo "PASS: no difference a user could observe"
else
        fail "the two stubs differ (above: - is stub a, + is stub b)"
fi
