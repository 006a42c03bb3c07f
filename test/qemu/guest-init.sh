#!/bin/sh
# test/qemu/guest-init.sh — /init of zuki's test initrd (busybox sh inside the QEMU guest).
#
# Reports what the host-side tests want to know as lines "ZUKI-GUEST: <key> <value>" on the
# console, then powers off. Keys, in order:
#   booted | uname R | cmdline C | efi yes|no | secureboot 0|1|none | kernel-code A-B|none
#   tpm yes|no | pcr11 HEX|none | pcr12 HEX|none
#   efivar NAME VALUE   Stub*/Loader* variables of the systemd vendor GUID: VALUE is the text if
#                       the data is a printable UTF-16 string (one trailing NUL allowed), else hex
#   efivar-hex NAME HEX the same variable's data, always as hex (attributes stripped)
#   extra PATH SHA256   every file under /.extra
#   eventlog HEX        the TCG event log (one long line; only when present)
#   done
# If /zuki-hook.sh exists in the initrd it is sourced just before "done" (tests may add probes),
# then every /zuki-hook.d/*.sh in name order (so that several extra initrds can each add one).
#
# Deliberately no `set -e`: one missing file must not cost the remaining lines.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

/bin/busybox mkdir -p /proc /sys /dev /tmp /run
/bin/busybox --install -s /bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kernel opens /dev/console for init only if the initramfs has that node; with devtmpfs
# mounted it exists now, so make sure our output goes there either way. (A failing redirection
# on `exec` would end a non-interactive shell, hence the test.)
if [ -c /dev/console ]; then
    exec </dev/console >/dev/console 2>&1
fi
# Keep kernel messages from landing in the middle of our (sometimes very long) lines.
dmesg -n 1 2>/dev/null
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null

say() {
    echo "ZUKI-GUEST: $*"
}

EFIVARS=/sys/firmware/efi/efivars
if [ -d /sys/firmware/efi ]; then
    [ -f /efivarfs.ko ] && insmod /efivarfs.ko 2>/dev/null
    mount -t efivarfs efivarfs "$EFIVARS" 2>/dev/null
fi

# Hex dump of a file without spaces or newlines; optional $2 = bytes to skip.
hexof() {
    if [ -n "$2" ]; then
        tail -c +"$(($2 + 1))" "$1" | od -An -v -tx1 | tr -d ' \n'
    else
        od -An -v -tx1 "$1" | tr -d ' \n'
    fi
}

# Print the text of a hex-encoded UTF-16LE string; fail if it is anything else.
utf16_text() {
    echo "$1" | awk '
        function hv(s) { return index("0123456789abcdef", substr(s, 1, 1)) * 16 - 16 + \
                                index("0123456789abcdef", substr(s, 2, 1)) - 1 }
        {
            h = tolower($0); n = length(h); out = ""
            if (n == 0 || n % 4 != 0) exit 1
            for (i = 1; i <= n; i += 4) {
                if (substr(h, i + 2, 2) != "00") exit 1
                c = hv(substr(h, i, 2))
                if (c == 0) { if (i + 3 < n) exit 1; break }  # NUL only as the last unit
                if (c < 32 || c > 126) exit 1
                out = out sprintf("%c", c)
            }
            if (out == "") exit 1
            print out
        }'
}

say booted
say uname "$(uname -r)"
say cmdline "$(cat /proc/cmdline)"
if [ -d /sys/firmware/efi ]; then say efi yes; else say efi no; fi

sb=none
f=$EFIVARS/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
if [ -r "$f" ]; then
    sb=$(hexof "$f" 4)
    case $sb in 01) sb=1 ;; 00) sb=0 ;; esac
fi
say secureboot "$sb"

kc=$(grep 'Kernel code' /proc/iomem 2>/dev/null | head -n 1 | sed 's/^ *//; s/ *:.*//')
say kernel-code "${kc:-none}"
# The kernel's virtual base (root sees real addresses) and the memory it was given.
kt=$(grep -m1 ' _text$' /proc/kallsyms 2>/dev/null | cut -d ' ' -f 1)
say kernel-text "${kt:-none}"
mt=$(grep -m1 '^MemTotal:' /proc/meminfo | tr -s ' ' | cut -d ' ' -f 2)
say memtotal-kb "${mt:-none}"

if [ -d /sys/class/tpm/tpm0 ]; then say tpm yes; else say tpm no; fi
for n in 9 11 12; do
    v=$(cat /sys/class/tpm/tpm0/pcr-sha256/$n 2>/dev/null)
    say pcr$n "${v:-none}"
done

VENDOR=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
for f in "$EFIVARS"/*-"$VENDOR"; do
    [ -r "$f" ] || continue
    name=${f##*/}
    name=${name%-"$VENDOR"}
    case $name in
    Stub* | Loader*) ;;
    *) continue ;;
    esac
    # efivarfs files start with the 4-byte attribute word.
    hex=$(hexof "$f" 4)
    if text=$(utf16_text "$hex"); then
        say efivar "$name" "$text"
    else
        say efivar "$name" "$hex"
    fi
    say efivar-hex "$name" "$hex"
done

if [ -d /.extra ]; then
    find /.extra -type f | sort | while read -r p; do
        say extra "$p" "$(sha256sum "$p" | cut -d ' ' -f 1)"
    done
fi

LOG=/sys/kernel/security/tpm0/binary_bios_measurements
if [ -r "$LOG" ]; then
    echo "ZUKI-GUEST: eventlog $(hexof "$LOG")"
fi

# shellcheck disable=SC1090,SC1091
for hook in /zuki-hook.sh /zuki-hook.d/*.sh; do
    [ -f "$hook" ] && . "$hook"
done

say "done"
sync
poweroff -f
# Should poweroff not work, try the sysrq route; never let init exit (that panics and hangs).
echo o >/proc/sysrq-trigger 2>/dev/null
while :; do sleep 60; done
