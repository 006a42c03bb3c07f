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
#         esp_case_smbios_file an SMBIOS table with the type 1 and 2 strings of qemu-args'
#                              -smbios lines (for zuki measure --smbios-file: the CHIDs that
#                              choose a .dtbauto; unset when qemu-args has no type=1 line)
#
# The addons are built the same way as parity-test.sh builds them (same bytes: its initrd/ trees are
# packed with fixed times and owners), so both see the same ESP.

# esp_build_addon SRC ADDON_STUB SCRATCH [ARCH]: builds SRC (NAME.addon.efi.src/) into NAME.addon.efi
# with ukify 262 on ADDON_STUB, from its files: cmdline (.cmdline, one line), uname (.uname),
# linux (.linux: an addon that is really a UKI), initrd/ (a tree packed as a newc cpio with fixed
# times and owners, so its bytes and the measurements repeat), devicetree-marker (.dtb: a
# devicetree whose root has the property zuki,parity-marker = the file's one word; see
# esp_marker_devicetree), devicetree-auto (one .dtbauto per line "COMPATIBLE MARKER": a marker
# devicetree whose root compatible starts with COMPATIBLE), hwids/ (ukify's --hwids directory).
# SCRATCH is a file path prefix for intermediate files. ARCH (x86_64 by default, or aarch64) is
# the machine the addon is for. A SRC holding a file zuki-built is built by `$zuki build --addon`
# (the caller's zuki binary) on zuki's own addon stub instead, from the same files (not linux).
# Removes SRC.
esp_build_addon() {
        local src=$1 stub=$2 scratch=$3 arch=${4:-x86_64} addon=${1%.src}
        local -a args=(build --stub "$stub" --output "$addon")
        [[ -f $src/zuki-built ]] && args=(build --addon --efi-arch "$([[ $arch == aarch64 ]] && echo aa64 || echo x64)"
                --output "$addon")
        if [[ -f $src/devicetree-marker ]]; then
                esp_marker_devicetree "$arch" "$(cat "$src/devicetree-marker")" "$scratch" "$scratch.addon.dtb"
                args+=(--devicetree "$scratch.addon.dtb")
        fi
        if [[ -f $src/devicetree-auto ]]; then
                local compatible marker n=0
                while read -r compatible marker; do
                        [[ -n $compatible && -n $marker ]] || continue
                        n=$((n + 1))
                        esp_marker_devicetree "$arch" "$marker" "$scratch" "$scratch.addon-auto$n.dtb" "$compatible"
                        args+=(--devicetree-auto "$scratch.addon-auto$n.dtb")
                done <"$src/devicetree-auto"
        fi
        [[ -d $src/hwids ]] && args+=(--hwids "$src/hwids")
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
        if [[ -f $src/zuki-built ]]; then
                "${zuki:?}" "${args[@]}" >"$scratch.ukify.out" 2>&1 ||
                        { cat "$scratch.ukify.out"; fail "zuki build --addon could not build $(basename "$addon")"; }
        else
                "$ZUKI_SYSTEM_PYTHON" "$ZUKI_UKIFY262" "${args[@]}" >"$scratch.ukify.out" 2>&1 ||
                        { cat "$scratch.ukify.out"; fail "ukify 262 could not build $(basename "$addon")"; }
        fi
        rm -r "$src"
}

# esp_marker_devicetree ARCH MARKER SCRATCH OUT [COMPATIBLE]: a flattened devicetree in OUT whose root
# node has the string property zuki,parity-marker = MARKER (the guest reads it from /proc/device-tree)
# and, with COMPATIBLE, a root compatible list starting with it (what .dtbauto is chosen by). An
# addon's .dtb replaces the machine's devicetree, so on aarch64 it is QEMU's own tree for the
# machine boot.sh starts (dumped with the same options and firmware, once per SCRATCH: QEMU hides
# devices the firmware owns; the TPM and the PCI devices are not in it, the kernel finds the PCI
# ones itself); on x86_64, where the kernel ignores the table, a minimal tree.
esp_marker_devicetree() {
        local arch=$1 marker=$2 scratch=$3 out=$4 compatible=${5:-}
        need_tool dtc device-tree-compiler
        if [[ $arch == aarch64 ]]; then
                if [[ ! -f $scratch.virt.dtb ]]; then
                        cp "$ZUKI_AAVMF_BOOKWORM_VARS" "$scratch.dump-vars.fd" || fail "copying AAVMF's variables"
                        qemu-system-aarch64 -machine "virt,dumpdtb=$scratch.virt.dtb" -cpu cortex-a57 -m 1024 -smp 1 \
                                -nodefaults -display none -net none \
                                -drive "if=pflash,format=raw,unit=0,readonly=on,file=$ZUKI_AAVMF_BOOKWORM_CODE" \
                                -drive "if=pflash,format=raw,unit=1,file=$scratch.dump-vars.fd" >/dev/null 2>&1 ||
                                fail "dumping QEMU's devicetree"
                fi
                # Without QEMU's per-boot seeds, so the addon's bytes (and PCR 12) repeat.
                dtc -q -I dtb -O dts "$scratch.virt.dtb" | sed '/rng-seed\|kaslr-seed/d' >"$scratch.dts" ||
                        fail "reading QEMU's devicetree"
        else
                printf '/dts-v1/;\n/ {\n\t#address-cells = <2>;\n\t#size-cells = <2>;\n\tmodel = "zuki x86 marker";\n\tcompatible = "zuki,x86-marker";\n};\n' >"$scratch.dts"
        fi
        if [[ -n $compatible ]]; then
                # The root's compatible (one tab deep in dtc's output) gets COMPATIBLE first.
                sed -i "0,/^\tcompatible = \(.*\);\$/s//\tcompatible = \"$compatible\", \1;/" "$scratch.dts"
                grep -q "^.compatible = \"$compatible\"" "$scratch.dts" || fail "no root compatible in the devicetree source"
        fi
        # The marker goes right after the root node's opening line.
        sed -i "0,/^\/ {\$/s//\/ {\n\tzuki,parity-marker = \"$marker\";/" "$scratch.dts"
        grep -q "zuki,parity-marker = \"$marker\";" "$scratch.dts" || fail "no root node in the devicetree source"
        dtc -q -I dts -O dtb -o "$out" "$scratch.dts" || fail "compiling the marker devicetree"
}

# esp_case_smbios_table QEMU_ARGS OUT: the SMBIOS table QEMU's "-smbios type=1,..." and
# "-smbios type=2,..." lines describe (manufacturer, product, family, sku; baseboard manufacturer,
# product), written to OUT and named in esp_case_smbios_file; nothing without a type=1 line.
esp_case_smbios_table() {
        local line t1="" t2=""
        while IFS= read -r line; do
                [[ $line == type=1,* ]] && t1=${line#type=1,}
                [[ $line == type=2,* ]] && t2=${line#type=2,}
        done <"$1"
        [[ -n $t1 ]] || return 0
        field() { # field LIST KEY
                local IFS=, kv
                for kv in $1; do [[ ${kv%%=*} == "$2" ]] && { echo "${kv#*=}"; return; }; done
        }
        "$ZUKI_SYSTEM_PYTHON" "$(dirname "${BASH_SOURCE[0]}")/make-smbios.py" "$2" \
                "$(field "$t1" manufacturer)" "$(field "$t1" product)" "$(field "$t1" family)" \
                "$(field "$t1" sku)" "$(field "$t2" manufacturer)" "$(field "$t2" product)" ||
                fail "writing the SMBIOS table of $1"
        # shellcheck disable=SC2034 # for the caller
        esp_case_smbios_file=$2
}

esp_case_prepare() {
        local case_dir=$1 dest=$2 a src f
        local -a addon_srcs
        esp_case_qemu_args=() esp_case_files=()
        unset esp_case_smbios_cmdline_extra esp_case_smbios_file
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
                esp_case_smbios_table "$case_dir/qemu-args" "$dest.smbios"
        fi
        # parity-test.sh's control files are not ESP contents.
        rm -f "$dest/shared-state" "$dest"/observed-expect* "$dest/serial-expect"
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
