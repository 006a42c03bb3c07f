# shellcheck shell=sh
# test/qemu/kexec/guest-systemctl.sh — guest hook (sourced by guest-init.sh, busybox sh, before
# guest-kexec.sh): what sid's `systemctl kexec` (systemd 262) makes of zuki images.
#
# /systemctl holds systemctl, sid's loader (ld.so) and libraries (lib/, with the compression
# libraries systemd dlopen()s), and one ESP tree per case in /systemctl/esp/NAME. For each case,
# in name order, `systemctl kexec` runs with SYSTEMD_ESP_PATH=/systemctl/esp/NAME: it picks the
# tree's only boot entry and loads it with kexec_file_load(), unpacking a UKI or zboot image
# when the kernel refuses it. PID 1 is busybox, so systemctl's later step (asking the service
# manager to kexec) fails; /sys/kernel/kexec_loaded says whether it loaded a kernel, which is
# then unloaded again. guest-kexec.sh calls sc_exec for a stage whose NAME.exec is "systemctl".
#
# Reports (lines "ZUKI-GUEST: ..."):
#   systemctl-version TEXT
#   systemctl-kexec NAME loaded|refused      what /sys/kernel/kexec_loaded said afterwards
#   systemctl-log NAME LINE                  systemctl's debug log lines about the kernel

SC=/systemctl
# sc_kexec ESP NAME: `systemctl kexec` with the ESP at ESP; reports as NAME. 0 when loaded.
sc_kexec() {
    SYSTEMD_ESP_PATH=$1 SYSTEMD_LOG_LEVEL=debug SYSTEMD_COLORS=0 \
        "$SC/ld.so" --library-path "$SC/lib" "$SC/systemctl" kexec >/tmp/sc.out 2>&1
    grep -i -E 'kexec|kernel|initrd|decompress|extract|compress|entry|zboot|uki' /tmp/sc.out | grep -v -E 'EFI variable|efivars|STATX' | head -n 16 |
        while IFS= read -r line; do say systemctl-log "$2" "$line"; done
    if [ "$(cat /sys/kernel/kexec_loaded)" = 1 ]; then
        say systemctl-kexec "$2" loaded
        return 0
    fi
    say systemctl-kexec "$2" refused
    return 1
}

if [ -x "$SC/systemctl" ]; then
    say systemctl-version "$("$SC/ld.so" --library-path "$SC/lib" "$SC/systemctl" --version 2>&1 | head -n 1)"
    for esp in "$SC"/esp/*; do
        [ -d "$esp" ] || continue
        name=${esp##*/}
        [ "$name" = exec ] && continue
        if sc_kexec "$esp" "$name"; then
            /kexec/ld.so --library-path /kexec/lib /kexec/kexec -s -u >/dev/null 2>&1 ||
                say systemctl-unload-failed "$name"
        fi
    done
fi

# sc_exec NAME: load stage NAME (/kexec/NAME.efi, a UKI) as the only entry of the "exec" ESP with
# systemctl kexec; 0 when a kernel is loaded.
sc_exec() {
    mkdir -p "$SC/esp/exec/EFI/Linux"
    ln -f "/kexec/$1.efi" "$SC/esp/exec/EFI/Linux/$1.efi" || return 1
    sc_kexec "$SC/esp/exec" "exec-$1"
}
