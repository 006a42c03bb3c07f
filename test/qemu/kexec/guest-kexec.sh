# shellcheck shell=sh
# test/qemu/kexec/guest-kexec.sh — guest hook (sourced by guest-init.sh, busybox sh): kexec into
# the next stage named in /kexec/next.
#
# Files of the stage NAME in /kexec: NAME.efi (the zuki image as it is), NAME.kernel, NAME.initrd,
# NAME.cmdline (what `zuki extract` gave on the build host); NAME.exec says how to load the
# extracted kernel before `kexec -e`: "-s" (kexec_file_load) or "-l" (kexec_load).
# kexec is sid's binary run through sid's loader from /kexec/ld.so with the libraries in /kexec/lib.
#
# Reports (lines "ZUKI-GUEST: ..."):
#   kexec-version TEXT
#   kexec-as-is NAME -l|-s loaded|refused LAST-LINE   the zuki image handed to kexec-tools unchanged
#   kexec-extracted NAME -l|-s loaded|refused LAST-LINE
#   kexec-exec NAME            just before `kexec -e`
#   kexec-exec-failed NAME     kexec -e returned

kx() { /kexec/ld.so --library-path /kexec/lib /kexec/kexec "$@"; }
# The last non-empty line kexec printed, on one line.
# "-l" loads with kexec_load, "-s" with kexec_file_load ("kexec -s" alone would load and reboot).
kx_load() { if [ "$1" = -s ]; then shift; kx -s -l "$@"; else shift; kx -l "$@"; fi; }
kx_unload() { if [ "$1" = -s ]; then kx -s -u; else kx -u; fi >/dev/null 2>&1; }
kx_last() { grep -v '^[[:space:]]*$' /tmp/kx.out | tail -n 1 | tr -d '\r'; }

if [ -s /kexec/next ]; then
    next=$(cat /kexec/next)
    say kexec-version "$(kx --version 2>&1 | head -n 1)"
    # The zuki image as it is: kexec-tools' own readers (kexec_load), then kexec_file_load. A UKI
    # brings its own initrd (kexec-tools' UKI reader cuts .initrd); the command line is given.
    for how in -l -s; do
        if kx_load "$how" "/kexec/$next.efi" --command-line="$(cat "/kexec/$next.cmdline")" >/tmp/kx.out 2>&1; then
            say kexec-as-is "$next" "$how" loaded "$(kx_last)"
            kx_unload "$how"
        else
            say kexec-as-is "$next" "$how" refused "$(kx_last)"
        fi
    done
    # The kernel, initrd and command line zuki extract gave: both syscalls, then the chosen one
    # is loaded again and executed.
    for how in -l -s; do
        if kx_load "$how" "/kexec/$next.kernel" --initrd="/kexec/$next.initrd" \
            --command-line="$(cat "/kexec/$next.cmdline")" >/tmp/kx.out 2>&1; then
            say kexec-extracted "$next" "$how" loaded "$(kx_last)"
            kx_unload "$how"
        else
            say kexec-extracted "$next" "$how" refused "$(kx_last)"
        fi
    done
    how=$(cat "/kexec/$next.exec")
    if kx_load "$how" "/kexec/$next.kernel" --initrd="/kexec/$next.initrd" \
        --command-line="$(cat "/kexec/$next.cmdline")" >/tmp/kx.out 2>&1; then
        sync
        say kexec-exec "$next"
        kx -e >/tmp/kx.out 2>&1
        say kexec-exec-failed "$next" "$(kx_last)"
    else
        # What kexec-tools' memory checks read, for the failure report.
        for d in /sys/firmware/memmap/*; do
            [ -d "$d" ] && say kexec-memmap "$(cat "$d/start") $(cat "$d/end") $(cat "$d/type")"
        done
        grep -i 'system ram' /proc/iomem | while read -r l; do say kexec-iomem "$l"; done
        say kexec-exec-failed "$next" "$(kx_last)"
    fi
fi
