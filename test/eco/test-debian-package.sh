#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The Debian package (issue 18 item 1), built by tools/make-deb.sh (dpkg-buildpackage + lintian)
# once per source state into CACHE/<key> (key: the working tree's files as make-deb.sh copies them):
#   - the .deb holds every installed path, stubs not executable, plugins executable;
#   - lintian: no errors or warnings (make-deb.sh fails otherwise; checked again here);
#   - installing it switches nothing: no maintainer script or shipped file touches the ESP,
#     kernel-install's configuration or the boot loader, and the unit is not enabled;
#   - unpacked with dpkg -x into a temporary root (never dpkg -i): zuki --version, zuki inspect
#     of its own installed stub; the compiled-in stub directory is /usr/lib/zuki; the installed
#     x64 stub equals the build tree's or at least passes test/pe/check-stub.py;
#   - with KERNEL: the unpacked zuki makes a zboot image with the unpacked stub.
#   test-debian-package.sh SOURCE_ROOT CACHE BUILD_STUB_X64 VERSION [KERNEL]
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
src=$1 cache=$2 build_stub=$3 version=$4 kernel=${5:-}
for t in dpkg-buildpackage dh lintian; do need_tool "$t" "dpkg-dev debhelper lintian"; done
make_tmp
unset ZUKI_BIN ZUKI_STUB_DIR ZUKI_UKIFY_TOOLS ZUKI_UKIFY_PLUGIN

# -- the package, built once per source state ------------------------------------------------
# The key: content and mode of every file make-deb.sh copies (the working tree as it is, so a
# commit of the same content does not rebuild).
if files=$(cd "$src" && git ls-files --cached --others --exclude-standard 2>/dev/null); then
        key=$(cd "$src" && printf '%s\n' "$files" | while IFS= read -r f; do
                [[ -f $f ]] && printf '%s %s %s\n' "$(stat -c %a "$f")" "$(sha256sum <"$f")" "$f"
        done | sha256sum | cut -c1-16)
else
        key=nogit-$$
fi
dir=$cache/$key
if [[ ! -f $dir/ok ]]; then
        rm -rf "$dir"
        echo "== building the package into $dir (a few minutes)"
        "$src/tools/make-deb.sh" "$dir" >"$tmp/make-deb.out" 2>&1 ||
                { grep -v '^N:' "$tmp/make-deb.out" | tail -n 30; fail "tools/make-deb.sh failed"; }
        grep -v '^N:' "$tmp/make-deb.out"
        touch "$dir/ok"
        # Older source states are not needed again.
        find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
else
        echo "== package cached in $dir"
fi
arch=$(dpkg --print-architecture)
deb=$dir/zuki_${version}-1_${arch}.deb
[[ -f $deb ]] || fail "no $deb"
echo "== $(basename "$deb"): $(stat -c %s "$deb") bytes"

# -- file list ---------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $1, $6 }' >"$tmp/list"
mode_of() { awk -v p="./$1" '$2 == p { print $1 }' "$tmp/list"; }
for path in usr/bin/zuki usr/bin/zuki-ukify \
        usr/lib/zuki/ukify-tools/systemd-measure usr/lib/zuki/ukify-tools/systemd-keyutil \
        usr/lib/kernel/install.d/60-zuki-uki.install; do
        [[ $(mode_of "$path") == -rwxr-xr-x ]] && ok "$path (executable)" || bad "$path missing or not 0755: '$(mode_of "$path")'"
done
for path in usr/lib/zuki/zukix64.efi.stub usr/lib/zuki/zukiaa64.efi.stub \
        usr/lib/zuki/zukiaddonx64.efi.stub usr/lib/zuki/zukiaddonaa64.efi.stub usr/lib/zuki/zukiaddonriscv64.efi.stub \
        usr/lib/systemd/system/zuki-status.service \
        usr/share/man/man1/zuki.1.gz usr/share/man/man1/zuki-ukify.1.gz usr/share/man/man7/zuki-stub.7.gz \
        usr/share/doc/zuki/copyright usr/share/doc/zuki/quickstart.md; do
        [[ $(mode_of "$path") == -rw-r--r-- ]] && ok "$path" || bad "$path missing or not 0644: '$(mode_of "$path")'"
done
if grep -E ' \./(etc|boot|efi)/' "$tmp/list"; then bad "the package ships files in /etc, /boot or /efi"
else ok "nothing in /etc, /boot or /efi (no kernel-install configuration, nothing on the ESP)"; fi

# -- lintian -----------------------------------------------------------------------------------
if [[ ! -f $dir/lintian.txt ]]; then bad "no lintian report"
elif grep -E '^[EW]: ' "$dir/lintian.txt"; then bad "lintian errors or warnings"
else ok "lintian: no errors or warnings ($(grep -cE '^[IPX]: ' "$dir/lintian.txt") info/pedantic tags)"; fi

# -- maintainer scripts ----------------------------------------------------------------------
dpkg-deb -e "$deb" "$tmp/control"
scripts=$(cd "$tmp/control" && ls preinst postinst prerm postrm 2>/dev/null | tr '\n' ' ')
if { cat "$tmp/control"/{preinst,postinst,prerm,postrm} 2>/dev/null || true; } |
        grep -nE 'bootctl|kernel-install|/boot|/efi|EFI/|install\.conf|update-grub|deb-systemd-helper (enable|unmask)|systemctl .*(enable|start)'; then
        bad "a maintainer script ($scripts) touches the boot setup or enables the unit"
else
        ok "maintainer scripts (${scripts:-none}) touch neither the ESP nor kernel-install, enable nothing"
fi
grep -q '^Built-Using: libzstd (= ' "$tmp/control/control" && ok "Built-Using names libzstd" ||
        bad "no Built-Using for the zstd code in the stubs"

# -- unpacked root -----------------------------------------------------------------------------
root=$tmp/root
dpkg-deb -x "$deb" "$root"
zuki=$root/usr/bin/zuki
out=$("$zuki" --version 2>&1)
[[ $out == *"$version"* ]] && ok "zuki --version: $out" || bad "zuki --version: '$out'"
for arch_stub in x64 aa64; do
        stub=$root/usr/lib/zuki/zuki$arch_stub.efi.stub
        if "$zuki" inspect "$stub" >"$tmp/inspect-$arch_stub" 2>&1; then ok "zuki inspect $(basename "$stub")"
        else cat "$tmp/inspect-$arch_stub"; bad "zuki inspect $(basename "$stub")"; fi
done
grep -q "^STUB_DIR = .*'/usr/lib/zuki'" "$root/usr/bin/zuki-ukify" && ok "zuki-ukify's stub directory is /usr/lib/zuki" ||
        bad "zuki-ukify does not look for its stubs in /usr/lib/zuki"

stub=$root/usr/lib/zuki/zukix64.efi.stub
if cmp -s "$stub" "$build_stub"; then
        ok "installed x64 stub is byte-identical to the build tree's"
else
        echo "note: the installed x64 stub differs from $build_stub (other build options?)"
fi
if "$ZUKI_SYSTEM_PYTHON" "$ZUKI_TEST_DIR/pe/check-stub.py" "$stub" --machine x64 --version "$version" >"$tmp/check" 2>&1; then
        ok "installed x64 stub passes check-stub.py"
else
        cat "$tmp/check"; bad "installed x64 stub fails check-stub.py"
fi

if [[ -n $kernel && -f $kernel ]]; then
        # find_stub's last resort is the compiled-in directory (ZUKI_STUB_DIR unset, no ../boot/
        # next to the binary): it must be where the package puts the stubs. Not installed here, so
        # zboot names the path it tried.
        if [[ -e /usr/lib/zuki/zukix64.efi.stub ]]; then
                echo "note: /usr/lib/zuki/zukix64.efi.stub exists on this host: default lookup not checked"
        elif ! "$zuki" zboot --output "$tmp/default.efi" "$kernel" >"$tmp/default.out" 2>&1 &&
                grep -q 'Cannot open /usr/lib/zuki/zukix64.efi.stub' "$tmp/default.out"; then
                ok "zuki's default stub is /usr/lib/zuki/zukix64.efi.stub"
        else
                cat "$tmp/default.out"; bad "zuki does not look for its stub in /usr/lib/zuki"
        fi
        if ZUKI_STUB_DIR=$root/usr/lib/zuki "$zuki" zboot --output "$tmp/zboot.efi" "$kernel" >"$tmp/zboot.out" 2>&1 &&
                "$zuki" inspect "$tmp/zboot.efi" >"$tmp/zboot.inspect" 2>&1; then
                ok "the unpacked zuki makes and inspects a zboot image with the unpacked stub"
        else
                cat "$tmp/zboot.out" "$tmp/zboot.inspect" 2>/dev/null; bad "zuki zboot with the unpacked stub"
        fi
fi
summary
