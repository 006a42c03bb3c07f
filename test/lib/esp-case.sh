# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# An ESP "case" (test/qemu/parity/cases/*, described in qemu/parity/parity-test.sh's header) made
# ready to boot, for scripts that boot one (source after common.sh, then call load_assets):
#
#   esp_case_prepare CASE_DIR DEST
#       copies CASE_DIR to DEST, builds each NAME.addon.efi.src/ into NAME.addon.efi with ukify 262
#       on systemd 262's addon stub (skips, 77, without them), and removes the .src directories and
#       the qemu-args file. Sets:
#         esp_case_qemu_args   boot.sh arguments: --qemu-arg A for each line of qemu-args
#         esp_case_files       boot.sh arguments: --esp-file SRC=DEST for each file of the tree
#         esp_case_smbios_cmdline_extra  the value of an io.systemd.stub.kernel-cmdline-extra=
#                              SMBIOS type 11 string in qemu-args (unset when there is none)
#
# The addons are built the same way as parity-test.sh builds them (same bytes: its initrd/ trees are
# packed with fixed times and owners), so both see the same ESP.

# esp_build_addon SRC ADDON_STUB SCRATCH: builds SRC (NAME.addon.efi.src/) into NAME.addon.efi
# with ukify 262 on ADDON_STUB, from its files: cmdline (.cmdline, one line), uname (.uname),
# linux (.linux: an addon that is really a UKI), initrd/ (a tree packed as a newc cpio with fixed
# times and owners, so its bytes and the measurements repeat). SCRATCH is a file path prefix for
# intermediate files. Removes SRC.
esp_build_addon() {
        local src=$1 stub=$2 scratch=$3 addon=${1%.src}
        local -a args=(build --stub "$stub" --output "$addon")
        [[ -f $src/cmdline ]] && args+=(--cmdline "$(cat "$src/cmdline")")
        [[ -f $src/uname ]] && args+=(--uname "$(cat "$src/uname")")
        [[ -f $src/linux ]] && args+=(--linux "$src/linux")
        if [[ -d $src/initrd ]]; then
                find "$src/initrd" -exec touch -h -d @0 {} +
                (cd "$src/initrd" && find . -mindepth 1 | LC_ALL=C sort |
                        cpio -o -H newc -R 0:0 --reproducible --quiet) >"$scratch.addon-initrd.cpio" ||
                        fail "packing $src/initrd"
                args+=(--initrd "$scratch.addon-initrd.cpio")
        fi
        "$ZUKI_SYSTEM_PYTHON" "$ZUKI_UKIFY262" "${args[@]}" >"$scratch.ukify.out" 2>&1 ||
                { cat "$scratch.ukify.out"; fail "ukify 262 could not build $(basename "$addon")"; }
        rm -r "$src"
}

esp_case_prepare() {
        local case_dir=$1 dest=$2 a src f
        local -a addon_srcs
        esp_case_qemu_args=() esp_case_files=()
        unset esp_case_smbios_cmdline_extra
        [[ -d $case_dir ]] || fail "no case directory $case_dir"
        cp -r "$case_dir" "$dest" || fail "copying $case_dir"
        if [[ -f $dest/qemu-args ]]; then
                while IFS= read -r a; do
                        [[ -n $a ]] || continue
                        esp_case_qemu_args+=(--qemu-arg "$a")
                        if [[ $a == type=11,value=io.systemd.stub.kernel-cmdline-extra=* ]]; then
                                # shellcheck disable=SC2034 # for the caller
                                esp_case_smbios_cmdline_extra=${a#type=11,value=io.systemd.stub.kernel-cmdline-extra=}
                        fi
                done <"$dest/qemu-args"
                rm "$dest/qemu-args"
        fi
        # parity-test.sh's control files are not ESP contents.
        rm -f "$dest/shared-state" "$dest/observed-expect" "$dest/serial-expect"
        mapfile -t addon_srcs < <(find "$dest" -type d -name '*.addon.efi.src' | sort)
        if ((${#addon_srcs[@]})); then
                need_asset ZUKI_UKIFY262 "ukify 262"
                need_asset ZUKI_SYSTEMD262_ADDON_X64 "systemd 262's addon stub"
        fi
        for src in "${addon_srcs[@]}"; do
                esp_build_addon "$src" "$ZUKI_SYSTEMD262_ADDON_X64" "$dest"
        done
        while read -r f; do
                esp_case_files+=(--esp-file "$f=${f#"$dest/"}")
        done < <(find "$dest" -type f | LC_ALL=C sort)
}
