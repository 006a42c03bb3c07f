# shellcheck shell=sh
# test/qemu/kexec/guest-kexec.sh — guest hook (sourced by guest-init.sh, busybox sh): kexec into
# the next stage named in /kexec/next.
#
# Files of the stage NAME in /kexec: NAME.efi (the zuki image as it is), NAME.kernel, NAME.initrd,
# NAME.cmdline (what `zuki extract` gave on the build host); NAME.exec says how to load the
# stage before `kexec -e`: "-s" (kexec_file_load) or "-l" (kexec_load) with the extracted kernel,
# or "systemctl" (sid's systemctl kexec of the UKI as it is, guest-systemctl.sh).
# kexec is sid's binary run through sid's loader from /kexec/ld.so with the libraries in /kexec/lib.
# When /kexec-old/kexec exists (bookworm's kexec-tools, laid out the same way), the same loads are
# tried with it first and reported with the prefix "kexec-old-"; nothing is executed with it.
#
# Reports (lines "ZUKI-GUEST: ..."):
#   kexec-version TEXT
#   kexec-as-is NAME -l|-s loaded|refused LAST-LINE   the zuki image handed to kexec-tools unchanged
#   kexec-extracted NAME -l|-s loaded|refused LAST-LINE
#   kexec-exec NAME            just before `kexec -e`
#   kexec-exec-failed NAME     kexec -e returned

KX=/kexec
kx() { "$KX/ld.so" --library-path "$KX/lib" "$KX/kexec" "$@"; }
# "-l" loads with kexec_load, "-s" with kexec_file_load ("kexec -s" alone would load and reboot).
kx_load() { if [ "$1" = -s ]; then shift; kx -s -l "$@"; else shift; kx -l "$@"; fi; }
kx_unload() { if [ "$1" = -s ]; then kx -s -u; else kx -u; fi >/dev/null 2>&1; }
# The last non-empty line kexec printed, on one line.
kx_last() { grep -v '^[[:space:]]*$' /tmp/kx.out | tail -n 1 | tr -d '\r'; }

# kx_try PREFIX NAME: the zuki image as it is, then what zuki extract gave, with both syscalls;
# each load that succeeds is undone.
kx_try() {
    say "$1"version "$(kx --version 2>&1 | head -n 1)"
    # The zuki image as it is: kexec-tools' own readers (kexec_load), then kexec_file_load. A UKI
    # brings its own initrd (kexec-tools' UKI reader cuts .initrd); the command line is given.
    for how in -l -s; do
        if kx_load "$how" "/kexec/$2.efi" --command-line="$(cat "/kexec/$2.cmdline")" >/tmp/kx.out 2>&1; then
            say "$1"as-is "$2" "$how" loaded "$(kx_last)"
            kx_unload "$how"
        else
            say "$1"as-is "$2" "$how" refused "$(kx_last)"
        fi
    done
    for how in -l -s; do
        if kx_load "$how" "/kexec/$2.kernel" --initrd="/kexec/$2.initrd" \
            --command-line="$(cat "/kexec/$2.cmdline")" >/tmp/kx.out 2>&1; then
            say "$1"extracted "$2" "$how" loaded "$(kx_last)"
            kx_unload "$how"
        else
            say "$1"extracted "$2" "$how" refused "$(kx_last)"
        fi
    done
}

if [ -s /kexec/next ]; then
    next=$(cat /kexec/next)
    if [ -x /kexec-old/kexec ]; then
        KX=/kexec-old
        kx_try kexec-old- "$next"
        KX=/kexec
    fi
    kx_try kexec- "$next"
    # The chosen way loads the stage, which is executed: "systemctl" (guest-systemctl.sh: the UKI
    # as it is, as the ESP's only entry; when systemctl loads nothing, kexec_file_load of what
    # zuki extract gave instead), or "-s"/"-l" with what zuki extract gave.
    how=$(cat "/kexec/$next.exec")
    loaded=""
    if [ "$how" = systemctl ]; then
        if sc_exec "$next"; then
            loaded=1
        else
            how=-s preloaded=1
        fi
    fi
    if [ -z "$loaded" ] && kx_load "$how" "/kexec/$next.kernel" --initrd="/kexec/$next.initrd" \
        --command-line="$(cat "/kexec/$next.cmdline")" >/tmp/kx.out 2>&1; then
        loaded=1
        # What `zuki kexec` does before `systemctl kexec`: with a kernel loaded, systemctl must
        # keep it (and load nothing of its own).
        [ -n "${preloaded:-}" ] && sc_kexec "$SC/esp/exec" "exec-$next-preloaded"
    fi
    if [ -n "$loaded" ]; then
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
