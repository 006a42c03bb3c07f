# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers shared by the eco tests (sourced).

# zuki_guest_cpio ZUKI HOOK OUT: an uncompressed newc archive holding /zuki-hook.sh (sourced by
# the test initrd's /init before "done"), the zuki binary as /bin/zuki and the shared libraries it
# needs at the paths ldd reports, so `zuki status` runs inside the busybox guest.
zuki_guest_cpio() {
        local zuki=$1 hook=$2 out=$3 stage lib
        stage=$(mktemp -d)
        mkdir -p "$stage/bin"
        install -m 0755 "$zuki" "$stage/bin/zuki"
        install -m 0644 "$hook" "$stage/zuki-hook.sh"
        for lib in $(ldd "$zuki" | grep -o '/[^ ]*'); do
                mkdir -p "$stage$(dirname "$lib")"
                cp -L "$lib" "$stage$lib"
        done
        (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
        rm -rf "$stage"
}

# One line of JSON from `zuki status --json` in the guest, as "ZUKI-GUEST: status {...}".
zuki_status_hook() {
        cat >"$1" <<'HOOK'
echo "ZUKI-GUEST: status $(zuki status --json 2>/tmp/status.err | tr -d '\n')"
[ -s /tmp/status.err ] && echo "ZUKI-GUEST: status-stderr $(tr '\n' ' ' </tmp/status.err)"
HOOK
}
