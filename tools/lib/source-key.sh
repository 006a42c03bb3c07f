# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki_source_key TOP: a short hash of what goes into zuki's Debian package, as tools/make-deb.sh
# takes it from the working tree TOP (tracked and untracked-but-not-ignored files, uncommitted
# changes included): the build files, src/, units/, docs/ and debian/, by path and content. Tests,
# benchmarks and tools do not change the package and are left out. tools/make-debian-image.sh
# keys its image on it and records it in image.env; the life-cycle test compares the two, so that
# a run never tests a zuki other than the checkout's without saying so.
zuki_source_key() {
        (cd "$1" && git ls-files -z --cached --others --exclude-standard -- \
                meson.build meson_options.txt src units docs debian | sort -z |
                xargs -0 -r sha256sum) | sha256sum | cut -c1-16
}
