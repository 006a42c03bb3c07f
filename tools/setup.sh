#!/bin/bash
# tools/setup.sh — install zuki's build/test dependencies and fetch its test assets.
#
# Run as root on Debian 12 (bookworm). Idempotent: every step is skipped when its result is
# already there, so a second run only checks and rewrites $ZUKI_CACHE/assets.env.
#
#   tools/setup.sh [--refresh]
#
#   --refresh   re-resolve the kernels and trixie/sid packages against the archive and re-fetch
#               those whose version changed (otherwise what is cached is kept).
#
# Environment:
#   ZUKI_CACHE          cache directory (default /var/cache/zuki)
#   ZUKI_DEBIAN_MIRROR  Debian mirror URI; default: the system apt source serving "bookworm"
#
# Everything that does not come from bookworm's installed packages is fetched through private
# apt states (tools/lib/apt-private.sh), extracted with dpkg-deb/dpkg-source, never installed.
# Result: $ZUKI_CACHE/assets.env, shell KEY=VALUE lines with absolute paths (see write_assets_env).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ZUKI_CACHE=${ZUKI_CACHE:-/var/cache/zuki}
export DEBIAN_FRONTEND=noninteractive
export LC_ALL=C
# shellcheck source-path=SCRIPTDIR
source "$here/lib/apt-private.sh"

log() { echo "setup: $*"; }
die() {
    echo "setup: error: $*" >&2
    exit 1
}

refresh=0
for arg in "$@"; do
    case $arg in
    --refresh) refresh=1 ;;
    -h | --help)
        sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument: $arg" ;;
    esac
done

[[ $(id -u) -eq 0 ]] || die "must run as root"
t_start=$SECONDS

# ---------------------------------------------------------------------------------------------
# 1. Debian packages
# ---------------------------------------------------------------------------------------------
PACKAGES=(
    meson ninja-build pkg-config g++ clang lld libzstd-dev libssl-dev nlohmann-json3-dev libgtest-dev libgmock-dev
    qemu-system-x86 qemu-system-arm qemu-utils ovmf qemu-efi-aarch64 swtpm swtpm-tools
    busybox-static mtools dosfstools cpio python3-pefile python3-zstandard sbsigntool
    tpm2-tools dpkg-dev xz-utils zstd gzip device-tree-compiler libclang-rt-14-dev
    systemd # /usr/lib/systemd/systemd-measure
    fdisk   # sfdisk: GPT-partitioned ESP images in test/qemu/boot.sh
    libcryptsetup-dev cryptsetup-bin # zuki check-unlock; LUKS2 header files in test/policy
    softhsm2 libengine-pkcs11-openssl # zuki sign with a PKCS#11 key (test/sign)
    pesign osslsigncode # third-party Authenticode signers and checkers zuki verify is judged by (test/sign)
    python3-importlib-resources       # trixie's python3-virt-firmware on bookworm (test/sign)
    zlib1g-dev liblzma-dev liblz4-dev lz4 # the codecs of x86 bzImage payloads (zuki zboot --x86-boot=direct)
    u-boot-qemu # U-Boot's UEFI (2023.01) for arm64 boots (test/qemu/boot.sh --firmware uboot-bookworm)
    debhelper lintian # tools/make-deb.sh: the Debian package (dpkg-buildpackage, dh with meson) and its lintian check
    # lifecycle (issue 18): tools/make-debian-image.sh builds a trixie system image with mmdebstrap
    mmdebstrap
)

install_packages() {
    local missing=() p
    for p in "${PACKAGES[@]}"; do
        # "ii " = wanted and installed; anything else (absent, rc, half-installed) is missing.
        if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) != "ii " ]]; then
            missing+=("$p")
        fi
    done
    if ((${#missing[@]} == 0)); then
        log "packages: all ${#PACKAGES[@]} installed"
        return
    fi
    log "packages: installing ${missing[*]}"
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# ---------------------------------------------------------------------------------------------
# Private apt states (configuration only; "apt-get update" happens on first use)
# ---------------------------------------------------------------------------------------------
setup_apt_states() {
    local mirror kr=$ZUKI_KEYRING
    mirror=$(zuki_mirror_uri)
    # bookworm: kernels for amd64 and arm64 plus sources (zstd). A private state for amd64 too,
    # so that amd64 and arm64 kernels come from the same point release and stale system lists
    # cannot point at a .deb the mirror no longer has.
    zuki_apt_state_init bookworm amd64,arm64 \
        "deb [signed-by=$kr] $mirror bookworm main" \
        "deb-src [signed-by=$kr] $mirror bookworm main"
    zuki_apt_state_init trixie amd64,arm64 \
        "deb [signed-by=$kr] $mirror trixie main"
    # sid: the newest systemd (stub, systemd-boot, ukify) that zuki-ukify must keep working with.
    zuki_apt_state_init sid amd64,arm64 \
        "deb [signed-by=$kr] $mirror sid main"
    # bullseye: only its Microsoft-signed shim 15.8 (bookworm and trixie moved to shim 16), for
    # the stub's shim 15.x path (test/sign/test-shim.sh).
    zuki_apt_state_init bullseye amd64 \
        "deb [signed-by=$kr] $mirror bullseye main"
    # --refresh: ask the archive again even if the lists are recent.
    ((refresh)) && rm -f "$ZUKI_CACHE"/apt/*/updated
    return 0
}

mkdir -p "$ZUKI_CACHE"
exec 9>"$ZUKI_CACHE/.setup.lock"
flock 9 # two concurrent runs would fight over the same directories

# Scratch space inside the cache (same filesystem, so results can be mv'd into place).
scratch=$(mktemp -d "$ZUKI_CACHE/.tmp.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Candidate version of PKG in private state STATE ("" if unknown).
candidate_version() {
    zuki_apt_cache "$1" show --no-all-versions "$2" 2>/dev/null | awk '/^Version:/ { print $2; exit }'
}

# Download PKG with private state STATE into DIR; prints the .deb path.
download_deb() {
    local state=$1 pkg=$2 dir=$3
    mkdir -p "$dir"
    (cd "$dir" && zuki_apt_get "$state" download "$pkg" >/dev/null) ||
        die "apt-get download $pkg ($state) failed"
    local debs=("$dir"/*.deb)
    [[ -f ${debs[0]} ]] || die "no .deb downloaded for $pkg"
    printf '%s\n' "${debs[0]}"
}

# ---------------------------------------------------------------------------------------------
# 2a. zstd source (bookworm, the version of the installed libzstd)
# ---------------------------------------------------------------------------------------------
fetch_zstd_source() {
    local dest=$ZUKI_CACHE/src/zstd
    if [[ -d $dest/lib/common && -d $dest/lib/decompress ]]; then
        log "zstd source: present ($(cat "$dest/.zuki-version" 2>/dev/null || echo '?'))"
        return
    fi
    # Debian's source package is called "libzstd"; ask dpkg rather than guess.
    local src ver
    src=$(dpkg-query -W -f='${source:Package}' libzstd-dev)
    ver=$(dpkg-query -W -f='${source:Version}' libzstd-dev)
    zuki_apt_state_update bookworm
    local d=$scratch/zstd-src
    mkdir -p "$d"
    log "zstd source: fetching $src $ver"
    if ! (cd "$d" && zuki_apt_get bookworm source --download-only "$src=$ver" >/dev/null 2>&1); then
        log "zstd source: $ver not in bookworm, taking the candidate version"
        (cd "$d" && zuki_apt_get bookworm source --download-only "$src" >/dev/null 2>&1) ||
            die "apt-get source $src failed"
    fi
    local dsc=("$d"/"$src"_*.dsc)
    [[ -f ${dsc[0]} ]] || die "no zstd .dsc downloaded"
    # The archive's Release signature + hashes already vouch for the files; dpkg-source only
    # warns that it cannot check the uploader's signature.
    (cd "$d" && dpkg-source -q -x "${dsc[0]}" tree >/dev/null 2>&1) || die "dpkg-source -x failed"
    [[ -d $d/tree/lib/common && -d $d/tree/lib/decompress ]] || die "zstd source lacks lib/decompress"
    basename "${dsc[0]}" .dsc | sed 's/^[^_]*_//' >"$d/tree/.zuki-version"
    mkdir -p "$ZUKI_CACHE/src"
    rm -rf "$dest"
    mv "$d/tree" "$dest"
    rm -rf "$d"
    log "zstd source: $dest"
}

# ---------------------------------------------------------------------------------------------
# 2b/2c. Debian kernels
# ---------------------------------------------------------------------------------------------
# fetch_kernel STATE META DEST: META is the linux-image-<flavour>[:arch] meta package; its
# Depends names the current ABI package, whose vmlinuz goes to $ZUKI_CACHE/kernels/DEST/.
fetch_kernel() {
    local state=$1 meta=$2 name=$3
    local dest=$ZUKI_CACHE/kernels/$name
    if [[ -s $dest/vmlinuz && -s $dest/release && $refresh -eq 0 ]]; then
        log "kernel $name: present ($(cat "$dest/release"))"
        return
    fi
    zuki_apt_state_update "$state"
    local pkg
    pkg=$(zuki_apt_cache "$state" depends "$meta" |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
    [[ -n $pkg ]] || die "cannot resolve $meta in $state"
    local ver
    ver=$(candidate_version "$state" "$pkg")
    if [[ -s $dest/vmlinuz && -s $dest/package && $(cat "$dest/package") == "$pkg $ver" ]]; then
        log "kernel $name: up to date ($pkg $ver)"
        return
    fi
    log "kernel $name: fetching $pkg $ver"
    local d=$scratch/kernel-$name
    local deb
    deb=$(download_deb "$state" "$pkg" "$d")
    # Extract only what is needed (the full tree is ~400 MB of modules). tar complains about
    # patterns that match nothing (efivarfs may be built in), so check the result instead.
    mkdir -p "$d/x"
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$d/x" --wildcards '*boot/vmlinu[xz]-*' '*boot/config-*' '*/efivarfs.ko*' \
            2>/dev/null || true
    # riscv64 packages install the (uncompressed, EFI-stub) Image as /boot/vmlinux-*.
    local vmlinuz=("$d"/x/boot/vmlinu[xz]-*)
    [[ -f ${vmlinuz[0]} ]] || die "$pkg: no /boot/vmlinuz-* or vmlinux-* in the package"
    local release=${vmlinuz[0]##*/vmlinu[xz]-}
    local out=$d/out
    mkdir -p "$out"
    cp "${vmlinuz[0]}" "$out/vmlinuz"
    printf '%s\n' "$release" >"$out/release"
    printf '%s\n' "$pkg $ver" >"$out/package"
    [[ -f $d/x/boot/config-$release ]] && cp "$d/x/boot/config-$release" "$out/config"
    # Modules may be compressed (trixie: .ko.xz); busybox insmod wants a plain .ko.
    local ko
    ko=$(find "$d/x" -name 'efivarfs.ko*' -path "*/$release/*" | head -n1)
    case $ko in
    "") ;;
    *.ko) cp "$ko" "$out/efivarfs.ko" ;;
    *.ko.xz) xz -dc "$ko" >"$out/efivarfs.ko" ;;
    *.ko.zst) zstd -qdc "$ko" >"$out/efivarfs.ko" ;;
    *.ko.gz) gzip -dc "$ko" >"$out/efivarfs.ko" ;;
    *) log "kernel $name: unknown module compression: $ko (skipped)" ;;
    esac
    mkdir -p "$ZUKI_CACHE/kernels"
    rm -rf "$dest"
    mv "$out" "$dest"
    rm -rf "$d"
    log "kernel $name: $release${ko:+ (+efivarfs.ko)}"
}

# ---------------------------------------------------------------------------------------------
# 2d. trixie packages, extracted (not installed)
# ---------------------------------------------------------------------------------------------
# fetch_tree STATE PKG DEST: dpkg -x PKG into $ZUKI_CACHE/DEST.
fetch_tree() {
    local state=$1 pkg=$2 name=$3
    local dest=$ZUKI_CACHE/$name
    if [[ -s $dest/.zuki-package && $refresh -eq 0 ]]; then
        log "$name: present ($(cat "$dest/.zuki-package"))"
        return
    fi
    zuki_apt_state_update "$state"
    local ver
    ver=$(candidate_version "$state" "$pkg")
    [[ -n $ver ]] || die "$pkg not found in $state"
    if [[ -s $dest/.zuki-package && $(cat "$dest/.zuki-package") == "$pkg $ver" ]]; then
        log "$name: up to date ($pkg $ver)"
        return
    fi
    log "$name: fetching $pkg $ver"
    local d=$scratch/tree-${name//\//-}
    local deb
    deb=$(download_deb "$state" "$pkg" "$d")
    dpkg -x "$deb" "$d/tree"
    printf '%s\n' "$pkg $ver" >"$d/tree/.zuki-package"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$d/tree" "$dest"
    rm -rf "$d"
}

# systemd-measure of another release for the parity tests: sid's (262: --policyref, every bank)
# for the byte-for-byte signing tests, trixie's (257) for the interop matrix. Each runs on
# bookworm through its release's own dynamic loader with that release's libraries, none
# installed: the packages below are extracted into one root and a wrapper script starts the
# loader. systemd dlopens libcrypto and the tss2 libraries (the PolicyPCR digest), so those are
# in the list too.
MEASURE_LIBS=(
    libsystemd-shared libc6 libssl3t64 libtss2-esys-3.0.2-0t64 libtss2-mu-4.0.1-0t64
    libtss2-sys1t64 libtss2-rc0t64 libtss2-tcti-device0t64 libcap2 libacl1 libblkid1 libmount1
    libcrypt1 libselinux1 libpcre2-8-0 libzstd1 libgcc-s1 libseccomp2
)
MEASURE262_PACKAGES=(systemd-tpm "${MEASURE_LIBS[@]}")
# 257 ships systemd-measure in "systemd"; its libsystemd-shared also links libaudit and libpam.
MEASURE257_PACKAGES=(systemd "${MEASURE_LIBS[@]}" libaudit1 libcap-ng0 libpam0g)
# fetch_measure STATE PACKAGE...: $ZUKI_CACHE/STATE/systemd-measure/systemd-measure
fetch_measure() {
    local state=$1
    shift
    local -a pkgs=("$@")
    local dest=$ZUKI_CACHE/$state/systemd-measure
    if [[ -s $dest/.zuki-package && -x $dest/systemd-measure && $refresh -eq 0 ]]; then
        log "$state/systemd-measure: present ($(head -n 1 "$dest/.zuki-package"))"
        return
    fi
    zuki_apt_state_update "$state"
    local pkg ver stamp=""
    for pkg in "${pkgs[@]}"; do
        ver=$(candidate_version "$state" "$pkg")
        [[ -n $ver ]] || die "$pkg not found in $state"
        stamp+="$pkg $ver"$'\n'
    done
    if [[ -s $dest/.zuki-package && -x $dest/systemd-measure && $(cat "$dest/.zuki-package") == "${stamp%$'\n'}" ]]; then
        log "$state/systemd-measure: up to date"
        return
    fi
    log "$state/systemd-measure: fetching ${#pkgs[@]} packages"
    local d=$scratch/tree-$state-systemd-measure
    mkdir -p "$d/debs" "$d/tree/root"
    (cd "$d/debs" && zuki_apt_get "$state" download "${pkgs[@]}" >/dev/null) ||
        die "apt-get download ($state) of systemd-measure's packages failed"
    local deb
    for deb in "$d"/debs/*.deb; do
        dpkg -x "$deb" "$d/tree/root"
    done
    local root=$dest/root lib=$dest/root/usr/lib/x86_64-linux-gnu
    [[ -x $d/tree/root/usr/lib/systemd/systemd-measure && -e $d/tree/root/usr/lib64/ld-linux-x86-64.so.2 ]] ||
        die "$state's systemd-measure or its loader is missing from the extracted packages"
    # The wrapper names the final paths; the tree is moved there below.
    cat >"$d/tree/systemd-measure" <<EOF
#!/bin/sh
# Generated by tools/setup.sh: $state's systemd-measure through $state's loader and libraries.
exec $root/usr/lib64/ld-linux-x86-64.so.2 --library-path $lib:$lib/systemd $root/usr/lib/systemd/systemd-measure "\$@"
EOF
    chmod 755 "$d/tree/systemd-measure"
    printf '%s' "$stamp" >"$d/tree/.zuki-package"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$d/tree" "$dest"
    rm -rf "$d"
    "$dest/systemd-measure" --version | grep -q '^systemd ' || die "$state's systemd-measure does not run here"
}

# dracut, extracted (never installed: Debian's dracut package conflicts with initramfs-tools, and
# only the program is wanted, not its initramfs hooks). test/interop builds UKIs with
# `dracut --uefi --uefi-stub <zuki stub>` from these trees; each has a `dracut` wrapper that
# points dracut at its own module directory and dracut-install.
#   bookworm: dracut-core 059, whose dracut-install runs on the host's libraries.
#   trixie:   dracut-core and dracut-install 106; dracut-install needs trixie's libc and libkmod,
#             so it runs through trixie's dynamic loader with those libraries, as
#             fetch_measure runs systemd-measure.
fetch_dracut() {
    local state=$1
    local dest=$ZUKI_CACHE/$state/dracut
    local -a pkgs=(dracut-core)
    [[ $state == trixie ]] && pkgs+=(dracut-install libc6 libkmod2)
    if [[ -s $dest/.zuki-package && -x $dest/dracut && $refresh -eq 0 ]]; then
        log "$state/dracut: present ($(head -n 1 "$dest/.zuki-package"))"
        return
    fi
    zuki_apt_state_update "$state"
    local pkg ver stamp=""
    for pkg in "${pkgs[@]}"; do
        ver=$(candidate_version "$state" "$pkg")
        [[ -n $ver ]] || die "$pkg not found in $state"
        stamp+="$pkg $ver"$'\n'
    done
    if [[ -s $dest/.zuki-package && -x $dest/dracut && $(cat "$dest/.zuki-package") == "${stamp%$'\n'}" ]]; then
        log "$state/dracut: up to date"
        return
    fi
    log "$state/dracut: fetching ${pkgs[*]}"
    local d=$scratch/tree-$state-dracut
    mkdir -p "$d/debs" "$d/tree/root"
    (cd "$d/debs" && zuki_apt_get "$state" download "${pkgs[@]}" >/dev/null) ||
        die "apt-get download ($state) of dracut's packages failed"
    local deb
    for deb in "$d"/debs/*.deb; do
        dpkg -x "$deb" "$d/tree/root"
    done
    [[ -f $d/tree/root/usr/bin/dracut && -x $d/tree/root/usr/lib/dracut/dracut-install ]] ||
        die "$state's dracut or dracut-install is missing from the extracted packages"
    local root=$dest/root
    local install=$root/usr/lib/dracut/dracut-install
    if [[ $state == trixie ]]; then
        local lib=$root/usr/lib/x86_64-linux-gnu
        [[ -e $d/tree/root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 ]] || die "trixie's loader is missing"
        install="$lib/ld-linux-x86-64.so.2 --library-path $lib $install"
    fi
    # The wrapper names the final paths; the tree is moved there below.
    cat >"$d/tree/dracut" <<EOF
#!/bin/sh
# Generated by tools/setup.sh: $state's dracut from an extracted tree (not installed).
export dracutbasedir=$root/usr/lib/dracut DRACUT_INSTALL="$install"
exec bash $root/usr/bin/dracut "\$@"
EOF
    chmod 755 "$d/tree/dracut"
    printf '%s' "$stamp" >"$d/tree/.zuki-package"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$d/tree" "$dest"
    rm -rf "$d"
    # shellcheck disable=SC2086 # $install is a command line
    $install --help >/dev/null 2>&1 || die "$state's dracut-install does not run here"
}

# kexec-tools for the kexec guest test (test/qemu/kexec/): sid's (2.0.32 today) and bookworm's
# (2.0.25, what Debian 12 users run), each with the shared libraries it needs (libxenctrl and what
# that links, glibc, zlib on arm64), extracted into one root per suite and architecture, never
# installed. The test copies kexec, the loader and the NEEDED closure into its initrd.
KEXEC_PACKAGES=(
    kexec-tools libxentoollog1 libxencall1 libxenevtchn1 libxengnttab1
    libxenforeignmemory1 libxendevicemodel1 libxentoolcore1 libc6 zlib1g
)
# fetch_root STATE ARCH NAME BINARY PACKAGE...: the packages (for ARCH, from STATE) extracted into
# one root, $ZUKI_CACHE/STATE/NAME-ARCH/root, never installed; BINARY (a path in it) must exist.
# .zuki-package lists "package version" lines: re-fetched when the archive moved on.
fetch_root() {
    local state=$1 arch=$2 name=$3 binary=$4
    shift 4
    local dest=$ZUKI_CACHE/$state/$name-$arch
    if [[ -s $dest/.zuki-package && -e $dest/root/$binary && $refresh -eq 0 ]]; then
        log "$state/$name-$arch: present ($(head -n 1 "$dest/.zuki-package"))"
        return
    fi
    zuki_apt_state_update "$state"
    local pkg ver stamp="" pkgs=()
    for pkg in "$@"; do
        ver=$(candidate_version "$state" "$pkg:$arch")
        [[ -n $ver ]] || die "$pkg:$arch not found in $state"
        stamp+="$pkg $ver"$'\n'
        pkgs+=("$pkg:$arch")
    done
    if [[ -s $dest/.zuki-package && -e $dest/root/$binary && $(cat "$dest/.zuki-package") == "${stamp%$'\n'}" ]]; then
        log "$state/$name-$arch: up to date"
        return
    fi
    log "$state/$name-$arch: fetching ${#pkgs[@]} packages"
    local d=$scratch/tree-$state-$name-$arch
    rm -rf "$d"
    mkdir -p "$d/debs" "$d/tree/root"
    (cd "$d/debs" && zuki_apt_get "$state" download "${pkgs[@]}" >/dev/null) ||
        die "apt-get download ($state) of $name's packages ($arch) failed"
    local deb
    for deb in "$d"/debs/*.deb; do
        dpkg -x "$deb" "$d/tree/root"
    done
    # Before the /usr merge (bookworm) binaries are in /sbin and /bin; tests look in /usr.
    if [[ ! -e $d/tree/root/$binary && -e $d/tree/root/${binary#usr/} ]]; then
        mkdir -p "$(dirname "$d/tree/root/$binary")"
        ln -s "$(realpath -m --relative-to="$(dirname "/$binary")" "/${binary#usr/}")" "$d/tree/root/$binary"
    fi
    [[ -e $d/tree/root/$binary ]] || die "$binary is missing from $state's $name ($arch)"
    printf '%s' "$stamp" >"$d/tree/.zuki-package"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$d/tree" "$dest"
    rm -rf "$d"
}

# kexec-tools for the kexec guest test (test/qemu/kexec/): sid's (2.0.32 today) and bookworm's
# (2.0.25, what Debian 12 users run), each with the shared libraries it needs (libxenctrl and what
# that links, glibc, zlib on arm64). The test copies kexec, the loader and the NEEDED closure into
# its initrd. XENMISC: the suite's libxenmisc package, which holds libxenctrl.
KEXEC_PACKAGES=(
    kexec-tools libxentoollog1 libxencall1 libxenevtchn1 libxengnttab1
    libxenforeignmemory1 libxendevicemodel1 libxentoolcore1 libc6 zlib1g
)
fetch_kexec() { # STATE ARCH XENMISC
    fetch_root "$1" "$2" kexec-tools usr/sbin/kexec "${KEXEC_PACKAGES[@]}" "$3"
}
# sid's systemctl (systemd 262), whose `systemctl kexec` loads the default boot entry itself with
# kexec_file_load() and unpacks UKIs and zboot images when the kernel refuses them. It needs only
# glibc and libsystemd-shared; the compression libraries it dlopen()s for zboot payloads (zstd,
# gzip, xz) come along.
SYSTEMCTL_PACKAGES=(systemd libsystemd-shared libc6 libzstd1 zlib1g liblzma5 libblkid1 libmount1)

# QEMU's virt machine needs both AAVMF pflash images to be exactly 64 MiB. Bookworm ships them
# padded; if a trixie image is smaller, keep a padded copy next to it and print its path.
aavmf_padded() {
    local f=$1
    local size
    size=$(stat -L -c %s "$f")
    if ((size == 64 * 1024 * 1024)); then
        printf '%s\n' "$f"
        return
    fi
    ((size < 64 * 1024 * 1024)) || die "$f is larger than 64 MiB"
    local p=${f%.fd}.padded64m.fd
    if [[ ! -e $p || $p -ot $f ]]; then
        cp "$f" "$p.tmp"
        truncate -s 64M "$p.tmp"
        mv "$p.tmp" "$p"
    fi
    printf '%s\n' "$p"
}

# ---------------------------------------------------------------------------------------------
# 2e. riscv64 (test/riscv): QEMU, OpenSBI, trixie's riscv64 kernel and busybox. U-Boot's
# qemu-riscv64_smode comes with u-boot-qemu above. All riscv64 additions are in this function;
# write_assets_env adds RISCV64_ASSETS/RISCV64_STRINGS.

# trixie's qemu-system-riscv64 (QEMU 10.0) and EDK2's RISC-V firmware (qemu-efi-riscv64): EDK2
# RISC-V prints nothing under bookworm's QEMU 7.2. The packages and every library they need (the
# closure apt computes for an empty system, without Recommends) are extracted into one root, and a
# wrapper script runs QEMU through that root's own dynamic loader with its libraries, modules and
# data; nothing is installed.
fetch_qemu_riscv64_trixie() {
    zuki_apt_state_update trixie
    local -a pkgs
    mapfile -t pkgs < <(zuki_apt_get trixie install -s --no-install-recommends -o Debug::NoLocking=1 \
        qemu-system-riscv qemu-efi-riscv64 2>/dev/null | awk '/^Inst / { print $2 }')
    ((${#pkgs[@]})) || die "apt could not resolve trixie's qemu-system-riscv and qemu-efi-riscv64"
    fetch_root trixie amd64 qemu-riscv64 usr/bin/qemu-system-riscv64 "${pkgs[@]}"
    local dest=$ZUKI_CACHE/trixie/qemu-riscv64-amd64
    cat >"$dest/qemu-system-riscv64.tmp" <<'EOF_QEMU_WRAPPER'
#!/bin/sh
# Generated by tools/setup.sh: trixie's qemu-system-riscv64 from the root beside this script.
r=$(dirname "$(readlink -f "$0")")/root
QEMU_MODULE_DIR=$r/usr/lib/x86_64-linux-gnu/qemu exec "$r/usr/lib64/ld-linux-x86-64.so.2" \
    --library-path "$r/usr/lib/x86_64-linux-gnu" "$r/usr/bin/qemu-system-riscv64" -L "$r/usr/share/qemu" "$@"
EOF_QEMU_WRAPPER
    chmod 0755 "$dest/qemu-system-riscv64.tmp"
    mv "$dest/qemu-system-riscv64.tmp" "$dest/qemu-system-riscv64"
    "$dest/qemu-system-riscv64" --version >/dev/null || die "trixie's qemu-system-riscv64 does not run here"
}
# ---------------------------------------------------------------------------------------------
RISCV64_ASSETS=() RISCV64_STRINGS=()
setup_riscv64() {
    local p missing=()
    for p in qemu-system-misc opensbi; do
        [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) == "ii " ]] || missing+=("$p")
    done
    if ((${#missing[@]})); then
        log "riscv64: installing ${missing[*]}"
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    # riscv64 is a release architecture from trixie on (bookworm has no riscv64 kernel).
    local kr=$ZUKI_KEYRING mirror
    mirror=$(zuki_mirror_uri)
    zuki_apt_state_init trixie-riscv64 amd64,riscv64 "deb [signed-by=$kr] $mirror trixie main"
    fetch_kernel trixie-riscv64 linux-image-riscv64:riscv64 trixie-riscv64
    fetch_tree trixie-riscv64 busybox-static:riscv64 trixie/busybox-riscv64 # for the riscv64 test initrd
    # sid's systemd-stub for riscv64: the reference of bench/arm64-uki.sh --arch riscv64.
    zuki_apt_state_init sid-riscv64 amd64,riscv64 "deb [signed-by=$kr] $mirror sid main"
    fetch_tree sid-riscv64 systemd-boot-efi:riscv64 sid/systemd-boot-efi-riscv64
    fetch_qemu_riscv64_trixie
    local c=$ZUKI_CACHE
    RISCV64_ASSETS=(
        ZUKI_KERNEL_TRIXIE_RISCV64 "$c/kernels/trixie-riscv64/vmlinuz"
        ZUKI_BUSYBOX_RISCV64 "$c/trixie/busybox-riscv64/usr/bin/busybox"
        ZUKI_UBOOT_BOOKWORM_RISCV64 /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
        ZUKI_UBOOT_TRIXIE_RISCV64 "$c/trixie/u-boot-qemu/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"
        ZUKI_OPENSBI_RISCV64 /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
        ZUKI_SYSTEMD262_STUB_RISCV64 "$c/sid/systemd-boot-efi-riscv64/usr/lib/systemd/boot/efi/linuxriscv64.efi.stub"
        ZUKI_QEMU_TRIXIE_RISCV64 "$c/trixie/qemu-riscv64-amd64/qemu-system-riscv64"
        ZUKI_EDK2_TRIXIE_RISCV64_CODE "$c/trixie/qemu-riscv64-amd64/root/usr/share/qemu-efi-riscv64/RISCV_VIRT_CODE.fd"
        ZUKI_EDK2_TRIXIE_RISCV64_VARS "$c/trixie/qemu-riscv64-amd64/root/usr/share/qemu-efi-riscv64/RISCV_VIRT_VARS.fd"
    )
    local efivarfs=$c/kernels/trixie-riscv64/efivarfs.ko
    [[ -e $efivarfs ]] || efivarfs=""
    RISCV64_STRINGS=(ZUKI_KERNEL_TRIXIE_RISCV64_RELEASE "$(cat "$c/kernels/trixie-riscv64/release")"
        ZUKI_EFIVARFS_TRIXIE_RISCV64 "$efivarfs")
}

# ---------------------------------------------------------------------------------------------
# 3. assets.env
# ---------------------------------------------------------------------------------------------
write_assets_env() {
    local c=$ZUKI_CACHE
    local ovmf_t=$c/trixie/ovmf/usr/share/OVMF aavmf_t=$c/trixie/aavmf/usr/share/AAVMF
    local kb64=$c/kernels/bookworm-amd64 kba64=$c/kernels/bookworm-arm64 kt64=$c/kernels/trixie-amd64
    local ukify=$c/trixie/systemd-ukify/usr/bin/ukify
    local stub_dir=$c/trixie/systemd-boot-efi/usr/lib/systemd/boot/efi
    local stub_dir_aa64=$c/trixie/systemd-boot-efi-arm64/usr/lib/systemd/boot/efi
    local sid_stub_dir=$c/sid/systemd-boot-efi/usr/lib/systemd/boot/efi
    local sid_stub_dir_aa64=$c/sid/systemd-boot-efi-arm64/usr/lib/systemd/boot/efi

    # Name and path of every asset; all must exist (checked below).
    local -a vars=(
        ZUKI_CACHE "$c"
        ZUKI_ZSTD_SRC "$c/src/zstd"
        ZUKI_KERNEL_BOOKWORM_AMD64 "$kb64/vmlinuz"
        ZUKI_KERNEL_BOOKWORM_ARM64 "$kba64/vmlinuz"
        ZUKI_KERNEL_TRIXIE_AMD64 "$kt64/vmlinuz"
        ZUKI_OVMF_BOOKWORM_CODE /usr/share/OVMF/OVMF_CODE_4M.fd
        ZUKI_OVMF_BOOKWORM_VARS /usr/share/OVMF/OVMF_VARS_4M.fd
        ZUKI_OVMF_BOOKWORM_SECBOOT_CODE /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
        ZUKI_OVMF_TRIXIE_CODE "$ovmf_t/OVMF_CODE_4M.fd"
        ZUKI_OVMF_TRIXIE_VARS "$ovmf_t/OVMF_VARS_4M.fd"
        ZUKI_OVMF_TRIXIE_SECBOOT_CODE "$ovmf_t/OVMF_CODE_4M.secboot.fd"
        ZUKI_OVMF_TRIXIE_STRICTNX_CODE "$ovmf_t/OVMF_CODE_4M.secboot.strictnx.fd"
        ZUKI_AAVMF_BOOKWORM_CODE "$(aavmf_padded /usr/share/AAVMF/AAVMF_CODE.fd)"
        ZUKI_AAVMF_BOOKWORM_VARS "$(aavmf_padded /usr/share/AAVMF/AAVMF_VARS.fd)"
        ZUKI_AAVMF_TRIXIE_CODE "$(aavmf_padded "$aavmf_t/AAVMF_CODE.fd")"
        ZUKI_AAVMF_TRIXIE_VARS "$(aavmf_padded "$aavmf_t/AAVMF_VARS.fd")"
        ZUKI_AAVMF_TRIXIE_SECBOOT_CODE "$(aavmf_padded "$aavmf_t/AAVMF_CODE.secboot.fd")"
        ZUKI_AAVMF_TRIXIE_STRICTNX_CODE "$(aavmf_padded "$aavmf_t/AAVMF_CODE.secboot.strictnx.fd")"
        ZUKI_UBOOT_BOOKWORM_ARM64 /usr/lib/u-boot/qemu_arm64/u-boot.bin
        ZUKI_UBOOT_TRIXIE_ARM64 "$c/trixie/u-boot-qemu/usr/lib/u-boot/qemu_arm64/u-boot.bin"
        ZUKI_SYSTEMD_STUB_X64 "$stub_dir/linuxx64.efi.stub"
        ZUKI_SYSTEMD_BOOT_X64 "$stub_dir/systemd-bootx64.efi"
        ZUKI_SYSTEMD_STUB_AA64 "$stub_dir_aa64/linuxaa64.efi.stub"
        ZUKI_SYSTEMD_BOOT_AA64 "$stub_dir_aa64/systemd-bootaa64.efi"
        ZUKI_UKIFY "$ukify"
        ZUKI_SYSTEMD262_STUB_X64 "$sid_stub_dir/linuxx64.efi.stub"
        ZUKI_SYSTEMD262_BOOT_X64 "$sid_stub_dir/systemd-bootx64.efi"
        ZUKI_SYSTEMD262_ADDON_X64 "$sid_stub_dir/addonx64.efi.stub"
        ZUKI_SYSTEMD262_STUB_AA64 "$sid_stub_dir_aa64/linuxaa64.efi.stub"
        ZUKI_SYSTEMD262_ADDON_AA64 "$sid_stub_dir_aa64/addonaa64.efi.stub"
        ZUKI_UKIFY262 "$c/sid/systemd-ukify/usr/bin/ukify"
        ZUKI_SYSTEMD_MEASURE262 "$c/sid/systemd-measure/systemd-measure"
        ZUKI_SYSTEMD_MEASURE257 "$c/trixie/systemd-measure/systemd-measure"
        ZUKI_DRACUT_BOOKWORM "$c/bookworm/dracut/dracut"
        ZUKI_DRACUT_TRIXIE "$c/trixie/dracut/dracut"
        ZUKI_KEXEC_ROOT_AMD64 "$c/sid/kexec-tools-amd64/root"
        ZUKI_KEXEC_ROOT_ARM64 "$c/sid/kexec-tools-arm64/root"
        ZUKI_KEXEC_BOOKWORM_ROOT_AMD64 "$c/bookworm/kexec-tools-amd64/root"
        ZUKI_KEXEC_BOOKWORM_ROOT_ARM64 "$c/bookworm/kexec-tools-arm64/root"
        ZUKI_SYSTEMCTL262_ROOT_AMD64 "$c/sid/systemctl-amd64/root"
        ZUKI_VIRT_FIRMWARE_PYTHONPATH "$c/trixie/virt-firmware/usr/lib/python3/dist-packages"
        ZUKI_SHIM_X64 "$c/trixie/shim-signed/usr/lib/shim/shimx64.efi.signed"
        ZUKI_SYSTEMD_MEASURE /usr/lib/systemd/systemd-measure
        ZUKI_PYTHON /usr/bin/python3
        ZUKI_BUSYBOX /bin/busybox
        ZUKI_BUSYBOX_ARM64 "$c/bookworm/busybox-arm64/bin/busybox"
        "${RISCV64_ASSETS[@]}"
    )
    local -a missing=()
    local out=$c/assets.env.tmp
    {
        echo "# Generated by tools/setup.sh. Do not edit."
        local i
        for ((i = 0; i < ${#vars[@]}; i += 2)); do
            [[ -e ${vars[i + 1]} ]] || missing+=("${vars[i]}=${vars[i + 1]}")
            printf '%s=%q\n' "${vars[i]}" "${vars[i + 1]}"
        done
        # Plain strings
        printf 'ZUKI_ZSTD_SRC_VERSION=%q\n' "$(cat "$c/src/zstd/.zuki-version")"
        printf 'ZUKI_KERNEL_BOOKWORM_AMD64_RELEASE=%q\n' "$(cat "$kb64/release")"
        printf 'ZUKI_KERNEL_BOOKWORM_ARM64_RELEASE=%q\n' "$(cat "$kba64/release")"
        printf 'ZUKI_KERNEL_TRIXIE_AMD64_RELEASE=%q\n' "$(cat "$kt64/release")"
        ((${#RISCV64_STRINGS[@]})) && printf '%s=%q\n' "${RISCV64_STRINGS[@]}"
        printf 'ZUKI_KEXEC_VERSION=%q\n' "$(awk '$1 == "kexec-tools" { print $2 }' "$c/sid/kexec-tools-amd64/.zuki-package")"
        printf 'ZUKI_KEXEC_BOOKWORM_VERSION=%q\n' "$(awk '$1 == "kexec-tools" { print $2 }' "$c/bookworm/kexec-tools-amd64/.zuki-package")"
        printf 'ZUKI_SYSTEMCTL262_VERSION=%q\n' "$(awk '$1 == "systemd" { print $2 }' "$c/sid/systemctl-amd64/.zuki-package")"
        # Optional: modules that are built in have no .ko (empty value then).
        local k
        for k in bookworm-amd64:BOOKWORM_AMD64 bookworm-arm64:BOOKWORM_ARM64 trixie-amd64:TRIXIE_AMD64; do
            local f=$c/kernels/${k%%:*}/efivarfs.ko
            [[ -e $f ]] || f=""
            printf 'ZUKI_EFIVARFS_%s=%q\n' "${k#*:}" "$f"
        done
        # Optional: bullseye's shim 15.8 (empty when the mirror no longer serves bullseye).
        local shim15=$c/bullseye/shim-signed/usr/lib/shim/shimx64.efi.signed
        [[ -e $shim15 ]] || shim15=""
        printf 'ZUKI_SHIM15_X64=%q\n' "$shim15"
        # ukify is a single script needing only python3-pefile; nothing extra on the path.
        printf 'ZUKI_UKIFY_PYTHONPATH=%q\n' ""
    } >"$out"
    if ((${#missing[@]})); then
        rm -f "$out"
        die "missing assets: ${missing[*]}"
    fi
    # Replace only on change, so its mtime tells when assets last changed.
    if cmp -s "$out" "$c/assets.env"; then
        rm -f "$out"
        log "assets.env: unchanged ($c/assets.env)"
    else
        mv "$out" "$c/assets.env"
        log "assets.env: written ($c/assets.env)"
    fi
}

# ---------------------------------------------------------------------------------------------
install_packages
setup_apt_states
fetch_zstd_source
fetch_kernel bookworm linux-image-amd64 bookworm-amd64
fetch_kernel bookworm linux-image-arm64:arm64 bookworm-arm64
fetch_kernel trixie linux-image-amd64 trixie-amd64
fetch_tree bookworm busybox-static:arm64 bookworm/busybox-arm64 # for the arm64 test initrd
fetch_tree trixie ovmf trixie/ovmf
fetch_tree trixie qemu-efi-aarch64 trixie/aavmf
fetch_tree trixie systemd-boot-efi trixie/systemd-boot-efi
fetch_tree trixie systemd-boot-efi:arm64 trixie/systemd-boot-efi-arm64
fetch_tree trixie systemd-ukify trixie/systemd-ukify
fetch_tree trixie python3-virt-firmware trixie/virt-firmware # enrols Secure Boot keys into OVMF_VARS
fetch_tree trixie u-boot-qemu trixie/u-boot-qemu # U-Boot's UEFI as trixie ships it (2025.01)
fetch_tree trixie shim-signed trixie/shim-signed # Debian's Microsoft-signed shim 16.x (test/sign/test-shim.sh)
# and 15.8, the last before shim's own loader; optional, for bullseye will leave the mirror
(fetch_tree bullseye shim-signed bullseye/shim-signed) || log "bullseye's shim-signed (15.8) not fetched: its test cases will say SKIP"
# sid's systemd (262 today): the newest stub, addon stub and ukify zuki-ukify is tested against.
fetch_tree sid systemd-boot-efi sid/systemd-boot-efi
fetch_tree sid systemd-boot-efi:arm64 sid/systemd-boot-efi-arm64
fetch_tree sid systemd-ukify sid/systemd-ukify
fetch_measure sid "${MEASURE262_PACKAGES[@]}"
fetch_measure trixie "${MEASURE257_PACKAGES[@]}" # systemd-measure 257 for the interop matrix
fetch_dracut bookworm # dracut 059 and 106 build UKIs with zuki's stub (test/interop)
fetch_dracut trixie
fetch_kexec sid amd64 libxenmisc4.20
fetch_kexec sid arm64 libxenmisc4.20
fetch_root sid amd64 systemctl usr/bin/systemctl "${SYSTEMCTL_PACKAGES[@]}"
fetch_kexec bookworm amd64 libxenmisc4.17
fetch_kexec bookworm arm64 libxenmisc4.17
setup_riscv64
write_assets_env

# ---------------------------------------------------------------------------------------------
# 4. lifecycle (issue 18): the trixie and bookworm images with a LUKS2 root (tools/make-debian-image.sh), cached
#    in $ZUKI_CACHE/images; built once per script/trixie state and zuki source (tools/lib/
#    source-key.sh) with a zuki .deb made from this checkout. ZUKI_SKIP_IMAGE=1 skips it (the
#    lifecycle tests then say SKIP).
# ---------------------------------------------------------------------------------------------
build_lifecycle_image() { # SUITE
    local suite=$1 dir
    if [[ -n ${ZUKI_SKIP_IMAGE:-} ]]; then
        log "lifecycle image ($suite): skipped (ZUKI_SKIP_IMAGE)"
        return
    fi
    dir=$("$here/make-debian-image.sh" --suite "$suite" --print-dir) || die "make-debian-image.sh --print-dir failed"
    if [[ -f $dir/ok ]]; then
        log "lifecycle image ($suite): present ($dir)"
        return
    fi
    local t=$SECONDS debdir=$scratch/deb
    # One .deb of this checkout for both images.
    if ! ls "$debdir"/zuki_*.deb >/dev/null 2>&1; then
        log "lifecycle image: building the zuki .deb (tools/make-deb.sh)"
        "$here/make-deb.sh" "$debdir" >"$scratch/make-deb.log" 2>&1 ||
            { tail -n 30 "$scratch/make-deb.log" >&2; die "tools/make-deb.sh failed"; }
    fi
    log "lifecycle image: building the $suite image (tools/make-debian-image.sh --suite $suite)"
    local debs=("$debdir"/zuki_*_amd64.deb) # zuki-dbgsym_* does not match
    "$here/make-debian-image.sh" --suite "$suite" "${debs[0]}" ||
        die "tools/make-debian-image.sh --suite $suite failed"
    log "lifecycle image ($suite): built in $((SECONDS - t)) s"
}
build_lifecycle_image trixie
build_lifecycle_image bookworm
log "done in $((SECONDS - t_start)) s"
