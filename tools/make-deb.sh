#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds zuki's Debian package out of tree and checks it with lintian:
#   tools/make-deb.sh OUTDIR
# copies the source tree (tracked and untracked-but-not-ignored files, as they are in the working
# tree) to OUTDIR/src/zuki-VERSION, runs `dpkg-buildpackage -us -uc -b` there, leaves the .deb,
# .buildinfo and .changes in OUTDIR and lintian's report in OUTDIR/lintian.txt. Exits non-zero if
# the build fails or lintian reports an error or a warning (justified tags are overridden in
# debian/zuki.lintian-overrides).
#
# The stubs need the upstream zstd source tools/setup.sh unpacked: ZUKI_ZSTD_SRC from the
# environment, else from $ZUKI_CACHE/assets.env. Nothing is downloaded.
set -euo pipefail

die() { echo "make-deb.sh: $*" >&2; exit 1; }
[[ $# -eq 1 ]] || die "usage: tools/make-deb.sh OUTDIR"
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)

if [[ -z ${ZUKI_ZSTD_SRC:-} ]]; then
        assets=${ZUKI_CACHE:-/var/cache/zuki}/assets.env
        [[ -f $assets ]] || die "ZUKI_ZSTD_SRC is not set and $assets does not exist (run tools/setup.sh)"
        ZUKI_ZSTD_SRC=$(sed -n 's/^ZUKI_ZSTD_SRC=//p' "$assets" | tr -d "'\"")
        ZUKI_ZSTD_SRC_VERSION=$(sed -n 's/^ZUKI_ZSTD_SRC_VERSION=//p' "$assets" | tr -d "'\"")
fi
[[ -f $ZUKI_ZSTD_SRC/lib/decompress/zstd_decompress.c ]] ||
        die "no zstd source at '$ZUKI_ZSTD_SRC' (run tools/setup.sh)"
export ZUKI_ZSTD_SRC ZUKI_ZSTD_SRC_VERSION=${ZUKI_ZSTD_SRC_VERSION:-}

for tool in dpkg-buildpackage dh lintian; do
        command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev debhelper lintian)"
done

version=$(cd "$top" && dpkg-parsechangelog -S Version)
upstream=${version%-*}
src=$out/src/zuki-$upstream
rm -rf "$out/src"
mkdir -p "$src"
rm -f "$out"/zuki_*.deb "$out"/zuki-dbgsym_*.deb "$out"/zuki_*.changes "$out"/zuki_*.buildinfo "$out/lintian.txt"
# The working tree as it is (uncommitted changes included), without build directories.
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
        tar --null --files-from=- --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$src"

start=$SECONDS
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${ZUKI_DEB_JOBS:-2} nocheck ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
        { tail -n 40 "$out/build.log" >&2; die "dpkg-buildpackage failed (log: $out/build.log)"; }
echo "make-deb.sh: built in $((SECONDS - start)) s (log: $out/build.log)"
mv "$out"/src/zuki_* "$out"/src/zuki-dbgsym_* "$out"/ 2>/dev/null || true
rm -rf "$out/src"

changes=$(ls "$out"/zuki_"$version"_*.changes)
status=0
lintian --info --display-info --pedantic --fail-on error,warning "$changes" >"$out/lintian.txt" 2>&1 || status=$?
cat "$out/lintian.txt"
ls -l "$out"/*.deb
((status == 0)) || die "lintian reported errors or warnings (see $out/lintian.txt)"
echo "make-deb.sh: lintian: no errors or warnings"
