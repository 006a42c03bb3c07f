#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tools/make-debian-image.sh — an installed Debian amd64 system (trixie, or bookworm) whose LUKS2
# root is meant to be unsealed by the TPM through a zuki UKI (issue 18; docs/lifecycle.md).
#
#   tools/make-debian-image.sh [--suite trixie|bookworm] [--force] [--print-dir] [DEB]
#
#   --suite      the release (default trixie). bookworm: systemd 252, no ukify (zuki's
#                kernel-install plugin signs with zuki build from the same uki.conf), dracut 059,
#                no signed systemd-boot (so no shim: Secure Boot is trixie's part), kexec-tools 2.0.25.
#   DEB          zuki's Debian package (tools/make-deb.sh); installed into the image with apt.
#                Needed only when the image is (re)built.
#   --print-dir  only print the cache directory the image is or would be in (nothing is built).
#   --force      rebuild even when the cache has the image (e.g. for a newer zuki .deb).
#
# Built offline from the Debian mirror named in the system's apt sources (tools/lib/apt-private.sh;
# no host name is written anywhere) with mmdebstrap, as root. Result, cached in
# $ZUKI_CACHE/images/SUITE-amd64-<key> (key: this script, the guest's report script and unit in
# test/lifecycle/guest, the suite's candidate versions of the packages below and of the second
# kernel, and zuki's package sources (tools/lib/source-key.sh: what make-deb.sh packages; the DEB
# given must be built from this checkout); a complete directory has "ok"). A commit that changes
# zuki therefore gets a new image (about 1-2 min: the package tree is cached apart, see below);
# image.env records the source key and the .deb's version and sha256.
#   disk.raw        GPT: partition 1 ESP (FAT32, systemd-boot + the zuki UKI kernel-install made
#                   inside the image), partition 2 LUKS2 (ext4 root), made offline (no device-mapper)
#   secureboot.crt  the administrator's Secure Boot certificate (the test enrols it in db): the
#                   image signs its UKIs with it (uki.conf, sbsign; key and certificate in
#                   /etc/kernel/secureboot.{key,crt}); the ESP boots through Debian's Microsoft-signed
#                   shim (EFI/BOOT/BOOTX64.EFI) and Debian's signed systemd-boot (EFI/BOOT/grubx64.efi,
#                   the name shim starts; EFI/systemd/systemd-bootx64.efi too), as Debian's docs lay
#                   out Secure Boot with systemd-boot
#   pcr-public.pem  the public half of the key the UKI's .pcrsig is signed with (the image has it as
#                   /etc/systemd/tpm2-pcr-public-key.pem; the private key is in the image too,
#                   /etc/systemd/tpm2-pcr-private-key.pem, for kernel-install's later UKIs)
#   passphrase      the LUKS recovery passphrase (keyslot 0, cheap argon2id)
#   image.env       partition offsets/sizes, UUIDs, kernel releases, UKI path on the ESP
#   The image also holds a second kernel package (the suite's cloud flavour, same release) in
#   /var/lib/lifecycle/debs, for the life-cycle test to install with dpkg inside the guest, and
#   /etc/kernel/tries (boot counting). Its report unit runs the actions the test hands it through
#   QEMU's fw_cfg (opt/org.zuki/lifecycle): "upgrade" (dpkg -i that package; kernel-install makes
#   its zuki UKI; zuki check-unlock on it) and "break" (a copy of the newest UKI whose kernel
#   panics, installed with one try left, so that systemd-boot boots it next and then gives up on it)
#   and "kexec" (zuki kexec of the upgrade's UKI, then systemctl kexec; kexec-tools is installed,
#   and /etc/kernel/zuki.conf X86_BOOT=efistub, written after kernel 1's UKI, makes the second
#   kernel's UKI kexec-able).
#   build.log       the whole build's output
# Tests boot qcow2 overlays of disk.raw, never disk.raw itself.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export ZUKI_CACHE=${ZUKI_CACHE:-/var/cache/zuki}
export LC_ALL=C
# shellcheck source-path=SCRIPTDIR
source "$here/lib/apt-private.sh"
# shellcheck source-path=SCRIPTDIR
source "$here/lib/source-key.sh"
# What the guest runs at the end of each boot (the life-cycle test reads its console lines).
guest=$(cd "$here/../test/lifecycle/guest" && pwd)

log() { echo "make-debian-image: $*"; }
die() {
        echo "make-debian-image: error: $*" >&2
        exit 1
}

deb="" print_dir=0 force=0 SUITE=trixie
while (($#)); do
        arg=$1
        shift
        case $arg in
        --suite)
                SUITE=${1:-}
                shift || true
                [[ $SUITE == trixie || $SUITE == bookworm ]] || die "--suite wants trixie or bookworm, not '$SUITE'"
                ;;
        --print-dir) print_dir=1 ;;
        --force) force=1 ;;
        -h | --help)
                sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
                exit 0
                ;;
        -*) die "unknown option: $arg" ;;
        *) deb=$arg ;;
        esac
done

# What goes into the image. systemd 257 dlopens libtss2-{esys,rc,mu,tcti-device} for TPM2 (in the
# initrd and in the system); dracut (not initramfs-tools) can put systemd-cryptsetup with TPM2 into
# the initrd; systemd-ukify lets zuki-ukify sign the PCR policy (uki.conf); e2fsprogs/util-linux
# for the root; shim-signed (with mokutil), systemd-boot-efi-amd64-signed and sbsigntool for Secure
# Boot. Recommends are not installed (mmdebstrap's default).
PACKAGES=(
        linux-image-amd64 systemd systemd-sysv udev dbus systemd-boot systemd-boot-efi
        cryptsetup cryptsetup-bin dracut dracut-core python3-pefile tpm2-tools sbsigntool
        e2fsprogs dosfstools kmod util-linux openssl kexec-tools
)
if [[ $SUITE == trixie ]]; then
        PACKAGES+=(systemd-cryptsetup shim-signed systemd-boot-efi-amd64-signed systemd-ukify
                libtss2-esys-3.0.2-0t64 libtss2-rc0t64 libtss2-mu-4.0.1-0t64 libtss2-tcti-device0t64)
        apt_lines=("deb [signed-by=$ZUKI_KEYRING] MIRROR trixie main")
        # dracut 106 has a module of its own for systemd-cryptsetup
        dracut_modules="systemd crypt systemd-cryptsetup tpm2-tss systemd-pcrphase"
else
        # (systemd-cryptsetup is part of systemd in 252; 252 has no ukify; the libraries before
        # the 64-bit time_t rename)
        PACKAGES+=(libtss2-esys-3.0.2-0 libtss2-rc0 libtss2-mu0 libtss2-tcti-device0)
        # the same lines as tools/setup.sh's bookworm state (which also fetches sources)
        apt_lines=("deb [signed-by=$ZUKI_KEYRING] MIRROR bookworm main" "deb-src [signed-by=$ZUKI_KEYRING] MIRROR bookworm main")
        dracut_modules="systemd crypt tpm2-tss systemd-pcrphase"
fi
ESP_MIB=256

for t in mmdebstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk cryptsetup openssl sbverify; do
        command -v "$t" >/dev/null || die "$t is missing (tools/setup.sh installs it)"
done

# -- cache key -----------------------------------------------------------------------------------
mirror=$(zuki_mirror_uri)
zuki_apt_state_init "$SUITE" amd64,arm64 "${apt_lines[@]//MIRROR/$mirror}"
zuki_apt_state_update "$SUITE" >&2
versions=$(zuki_apt_cache "$SUITE" policy "${PACKAGES[@]}" 2>/dev/null | awk '/^[^ ]/ { p = $1 } /Candidate:/ { print p, $2 }')
[[ $(wc -l <<<"$versions") -eq ${#PACKAGES[@]} ]] || die "not every package has a candidate in $SUITE: $versions"
grep -q '(none)' <<<"$versions" && die "no candidate in $SUITE for: $(grep '(none)' <<<"$versions")"
# The second kernel, installed by the test inside the guest: the cloud flavour of the same release
# (another ABI name, so kernel-install makes a second UKI beside the first).
K2_META=linux-image-cloud-amd64
k2_pkg=$(zuki_apt_cache "$SUITE" depends "$K2_META" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
[[ -n $k2_pkg ]] || die "$K2_META depends on no linux-image package in $SUITE"
k2_version=$(zuki_apt_cache "$SUITE" policy "$k2_pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
[[ -n $k2_version && $k2_version != "(none)" ]] || die "no candidate in $SUITE for $k2_pkg"
source_key=$(zuki_source_key "$here/..")
key=$({
        cat "${BASH_SOURCE[0]}" "$guest/lifecycle-report" "$guest/lifecycle-report.service" | sha256sum
        printf '%s\n' "$versions" "$k2_pkg $k2_version" "zuki $source_key"
} | sha256sum | cut -c1-16)
out=$ZUKI_CACHE/images/$SUITE-amd64-$key
if ((print_dir)); then
        echo "$out"
        exit 0
fi
if [[ -f $out/ok ]] && ((!force)); then
        log "cached: $out"
        exit 0
fi
[[ -n $deb ]] || die "usage: tools/make-debian-image.sh [--force] [--print-dir] ZUKI_DEB (the image is not cached)"
[[ -f $deb ]] || die "no such file: $deb"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
[[ $(id -u) -eq 0 ]] || die "must run as root (mmdebstrap, chroot)"

mkdir -p "$ZUKI_CACHE/images"
exec 8>"$ZUKI_CACHE/images/.lock"
flock 8
work=$(mktemp -d "$ZUKI_CACHE/images/.tmp.XXXXXX")
cleanup() {
        # A chroot mount left behind by a failed mmdebstrap must not be removed recursively.
        if grep -q " $work/" /proc/mounts; then
                echo "make-debian-image: mounts left under $work, not removing it" >&2
                return
        fi
        rm -rf "$work"
}
trap cleanup EXIT
t0=$SECONDS
step() { log "[$((SECONDS - t0)) s] $*"; }
exec > >(tee "$work/build.log") 2>&1

# -- 1. the root file system ------------------------------------------------------------------------
luks_uuid=$(cat /proc/sys/kernel/random/uuid)
esp_partuuid=$(cat /proc/sys/kernel/random/uuid)
root_partuuid=$(cat /proc/sys/kernel/random/uuid)
machine_id=$(tr -d '-' </proc/sys/kernel/random/uuid)
passphrase=lifecycle-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$passphrase" >"$work/passphrase"

# Runs inside the chroot (with /proc, /sys, /dev mounted).
cat >"$work/inside.sh" <<EOF
#!/bin/sh
set -eu
echo "$machine_id" >/etc/machine-id
echo lifecycle >/etc/hostname
# kernel-install: the one documented line pair that makes zuki UKIs (README, docs/zuki.1).
printf 'layout=uki\nuki_generator=zuki\n' >/etc/kernel/install.conf
# Boot counting (systemd-boot): every new UKI is installed with 2 tries; systemd-bless-boot marks
# it good once boot-complete.target is reached.
echo 2 >/etc/kernel/tries
echo "rd.luks.name=$luks_uuid=root rd.luks.options=$luks_uuid=tpm2-device=auto root=/dev/mapper/root rw console=ttyS0 systemd.show_status=1" >/etc/kernel/cmdline
# The PCR policy key pair: the UKI's .pcrsig is signed with the private key, systemd-cryptsetup
# finds the public key here (and in the UKI's .pcrpkey).
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out /etc/systemd/tpm2-pcr-private-key.pem 2>/dev/null
chmod 600 /etc/systemd/tpm2-pcr-private-key.pem
openssl pkey -in /etc/systemd/tpm2-pcr-private-key.pem -pubout -out /etc/systemd/tpm2-pcr-public-key.pem
# The administrator's Secure Boot key (its certificate is enrolled in the firmware's db by the
# test): ukify signs every UKI with it, through sbsign.
openssl req -x509 -newkey rsa:2048 -nodes -keyout /etc/kernel/secureboot.key -out /etc/kernel/secureboot.crt \
        -subj "/CN=lifecycle Secure Boot db/" -days 3650 -sha256 2>/dev/null
chmod 600 /etc/kernel/secureboot.key
cat >/etc/kernel/uki.conf <<'CONF'
[UKI]
PCRPKey=/etc/systemd/tpm2-pcr-public-key.pem
SecureBootSigningTool=sbsign
SecureBootPrivateKey=/etc/kernel/secureboot.key
SecureBootCertificate=/etc/kernel/secureboot.crt

[PCRSignature:initrd]
PCRPrivateKey=/etc/systemd/tpm2-pcr-private-key.pem
PCRPublicKey=/etc/systemd/tpm2-pcr-public-key.pem
CONF
# dracut: a generic (not host-only: this is a chroot) systemd initrd with LUKS + TPM2.
cat >/etc/dracut.conf.d/50-lifecycle.conf <<'CONF'
hostonly="no"
compress="gzip"
add_dracutmodules+=" $dracut_modules "
omit_dracutmodules+=" plymouth network network-legacy nfs iscsi nbd lvm mdraid multipath dmraid fcoe btrfs "
omit_dracutmodules+=" kernel-modules-extra nvdimm lunmask resume virtfs virtiofs overlay-root systemd-battery-check "
# Not host-only, so only the drivers this (QEMU q35) machine needs, instead of every storage/USB/HID
# driver: a ~100 MB UKI takes minutes under TCG. Modules other dracut modules ask for (crypto,
# dm_crypt, virtio) and dependencies are still added.
drivers=" virtio_blk virtio_pci virtio_scsi ahci sd_mod tpm_tis tpm_crb ext4 vfat nls_cp437 nls_ascii efivarfs dm_crypt "
CONF
echo 'root UUID=$luks_uuid none tpm2-device=auto,luks' >/etc/crypttab
# Not nofail: local-fs.target must wait for the ESP, or systemd-bless-boot (ordered after it) runs
# before /efi is mounted and cannot find the UKI to mark good ("Couldn't find \$BOOT partition").
printf '/dev/mapper/root / ext4 defaults 0 1\nPARTUUID=$esp_partuuid /efi vfat umask=0077 0 2\n' >/etc/fstab
mkdir -p /efi
# The guest reports to the serial console and powers off (test/lifecycle reads it); the report
# script and unit are test/lifecycle/guest/lifecycle-report{,.service}, installed before this runs.
echo "LUKS_UUID=$luks_uuid" >/etc/lifecycle.env
systemctl enable lifecycle-report.service
# No login prompt on the console: agetty would hang up ttyS0 under the report.
systemctl mask serial-getty@ttyS0.service
passwd -l root >/dev/null
# systemd-boot on the ESP (a directory here; copied into the FAT partition afterwards).
SYSTEMD_RELAX_ESP_CHECKS=1 bootctl install --esp-path=/efi --no-variables --entry-token=machine-id --graceful
printf 'timeout 0\nconsole-mode keep\n' >/efi/loader/loader.conf
# Secure Boot through shim: the firmware trusts Microsoft's signature on shim, shim trusts Debian's
# on systemd-boot and starts the file named grubx64.efi beside it; systemd-boot's LoadImage of a
# UKI is checked against db (and shim's MOK list). bootctl installed the .signed systemd-boot.
# (bookworm has no signed systemd-boot: no shim there.)
if [ "$SUITE" = trixie ]; then
        cp /usr/lib/shim/shimx64.efi.signed /efi/EFI/BOOT/BOOTX64.EFI
        cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi.signed /efi/EFI/BOOT/grubx64.efi
        cmp -s /efi/EFI/systemd/systemd-bootx64.efi /usr/lib/systemd/boot/efi/systemd-bootx64.efi.signed ||
                { echo "bootctl did not install the signed systemd-boot" >&2; exit 1; }
fi
# The UKI, built BY kernel-install with the zuki plugin (dracut's 50-dracut.install makes the initrd).
kver=\$(ls /lib/modules | sort -V | tail -n 1)
# Debian 12's dracut has no kernel-install plugin: its kernel hook writes /boot/initrd.img-VERSION,
# which zuki's plugin takes when kernel-install is given none. Made again here with the
# configuration above (mmdebstrap's was made before it). trixie's dracut plugin makes its own.
[ "$SUITE" = bookworm ] && dracut --force "/boot/initrd.img-\$kver" "\$kver"
SYSTEMD_RELAX_ESP_CHECKS=1 BOOT_ROOT=/efi kernel-install -v add "\$kver" "/boot/vmlinuz-\$kver"
[ "$SUITE" = trixie ] && rm -f /boot/initrd.img-*
echo "\$kver" >/tmp/kver
# From here on the administrator wants UKIs that can be kexec'd (zuki kexec, docs/kexec.md): x86_64
# kernels wrapped for the kernel's own EFI stub. Kernel 1's UKI above keeps zuki's default (the
# direct path); the second kernel, installed in the guest, gets this.
printf '# zuki kernel-install plugin settings (docs/zuki.1)\nX86_BOOT=efistub\n' >/etc/kernel/zuki.conf
# kexec-tools must not load a kernel of its own on reboot (the test loads one with zuki kexec).
sed -i 's/^LOAD_KEXEC=.*/LOAD_KEXEC=false/' /etc/default/kexec 2>/dev/null || true
: >/etc/apt/sources.list
rm -f /etc/apt/sources.list.d/*
apt-get clean
EOF

# The package tree (the slow part, ~4 min) is cached on its own, keyed by the package versions
# only, so a change to the steps below or a --force rebuild for a newer .deb starts from it.
base=$ZUKI_CACHE/images/base-$SUITE-amd64-$(printf '%s\n' "$versions" | sha256sum | cut -c1-16).tar
if [[ ! -f $base ]]; then
        step "mmdebstrap $SUITE (${#PACKAGES[@]} packages) -> $(basename "$base")"
        mmdebstrap --variant=apt --mode=root --architectures=amd64 \
                --include="$(IFS=,; echo "${PACKAGES[*]}")" \
                "$SUITE" "$work/base.tar" "deb [signed-by=$ZUKI_KEYRING] $mirror $SUITE main"
        find "$ZUKI_CACHE/images" -maxdepth 1 -name "base-$SUITE-amd64-*.tar" -delete
        mv "$work/base.tar" "$base"
else
        step "package tree cached: $(basename "$base")"
fi
step "unpacking the tree, installing $(basename "$deb"), kernel-install inside"
mkdir "$work/root"
tar -xf "$base" -C "$work/root"
cp "$deb" "$work/root/tmp/zuki.deb"
cp "$work/inside.sh" "$work/root/tmp/inside.sh"
install -m 755 "$guest/lifecycle-report" "$work/root/usr/local/sbin/lifecycle-report"
install -m 644 "$guest/lifecycle-report.service" "$work/root/etc/systemd/system/lifecycle-report.service"
step "the second kernel package, for the guest: $k2_pkg $k2_version"
mkdir -p "$work/root/var/lib/lifecycle/debs"
(cd "$work/root/var/lib/lifecycle/debs" && zuki_apt_get "$SUITE" download "$k2_pkg=$k2_version" >/dev/null) ||
        die "cannot download $k2_pkg $k2_version"
for m in proc sys dev; do
        case $m in
        proc) mount -t proc proc "$work/root/proc" ;;
        sys) mount -t sysfs sysfs "$work/root/sys" ;;
        dev) mount --bind /dev "$work/root/dev" ;;
        esac
done
# The ESP directory is made a mount point, as bootctl wants one.
mkdir -p "$work/root/efi"
mount --bind "$work/root/efi" "$work/root/efi"
umount_all() { umount "$work/root/efi" "$work/root/dev" "$work/root/sys" "$work/root/proc" 2>/dev/null || true; }
trap 'umount_all; cleanup' EXIT
status=0
chroot "$work/root" dpkg -i /tmp/zuki.deb || status=$?
((status == 0)) && { chroot "$work/root" sh /tmp/inside.sh || status=$?; }
umount_all
trap cleanup EXIT
((status == 0)) || die "installing zuki or the steps inside the image failed (status $status)"
rm -f "$work/root/tmp/zuki.deb" "$work/root/tmp/inside.sh"
kver=$(cat "$work/root/tmp/kver")
rm -f "$work/root/tmp/kver"
uki=$(cd "$work/root/efi" && ls EFI/Linux/*.efi)
[[ $(wc -l <<<"$uki") -eq 1 ]] || die "expected one UKI on the ESP, found: $uki"
step "kernel $kver, UKI $uki ($(stat -c %s "$work/root/efi/$uki") bytes)"
python3 - "$work/root/efi/$uki" <<'PY' || die "kernel-install's UKI has no .initrd"
import struct, sys
b = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", b, 0x3c)[0]
n, opt = struct.unpack_from("<H", b, pe + 6)[0], struct.unpack_from("<H", b, pe + 20)[0]
names = [b[pe + 24 + opt + 40 * i: pe + 24 + opt + 40 * i + 8].rstrip(b"\0") for i in range(n)]
sys.exit(0 if b".initrd" in names else 1)
PY
sbverify --cert "$work/root/etc/kernel/secureboot.crt" "$work/root/efi/$uki" >/dev/null 2>&1 ||
        die "kernel-install's UKI is not signed with /etc/kernel/secureboot.crt (uki.conf)"

# -- 2. ESP ----------------------------------------------------------------------------------------
step "ESP (FAT32, $ESP_MIB MiB)"
mkfs.vfat -C -F 32 -n ESP "$work/esp.img" $((ESP_MIB * 1024)) >/dev/null
(cd "$work/root/efi" && find . -mindepth 1 -type d | sed 's|^\./|::/|' | sort | xargs -r mmd -i "$work/esp.img")
(cd "$work/root/efi" && find . -type f | while read -r f; do mcopy -i "$work/esp.img" "$f" "::/${f#./}"; done)
rm -rf "${work:?}/root/efi/"* # the ESP is mounted there at run time
cp "$work/root/etc/systemd/tpm2-pcr-public-key.pem" "$work/pcr-public.pem"
cp "$work/root/etc/kernel/secureboot.crt" "$work/secureboot.crt"

# -- 3. root: ext4 from the tree, then LUKS2 offline ---------------------------------------------
used=$(du -sxm "$work/root" | cut -f1)
fs_mib=$((used * 13 / 10 + 256))
step "root: ext4 of $fs_mib MiB from $used MiB of files"
truncate -s $(((fs_mib + 32) * 1024 * 1024)) "$work/root.img"
mkfs.ext4 -q -L root -d "$work/root" "$work/root.img" "${fs_mib}M"
rm -rf "$work/root"
step "root: LUKS2 (cryptsetup reencrypt --encrypt offline, argon2id recovery passphrase)"
cryptsetup reencrypt --batch-mode --encrypt --type luks2 --reduce-device-size 32M \
        --uuid "$luks_uuid" --pbkdf argon2id --pbkdf-memory 32768 --pbkdf-force-iterations 4 \
        --key-file "$work/passphrase" "$work/root.img"
[[ $(cryptsetup luksUUID "$work/root.img") == "$luks_uuid" ]] || die "LUKS UUID is not $luks_uuid"
cryptsetup luksDump "$work/root.img" | sed -n '1,40p'

# -- 4. the GPT disk -------------------------------------------------------------------------------
esp_bytes=$(stat -c %s "$work/esp.img")
root_bytes=$(stat -c %s "$work/root.img")
esp_start=$((1024 * 1024))
root_start=$((esp_start + esp_bytes))
disk_bytes=$((root_start + root_bytes + 1024 * 1024))
step "disk: GPT, ESP at $esp_start, LUKS2 root at $root_start, $disk_bytes bytes"
truncate -s "$disk_bytes" "$work/disk.raw"
sfdisk -q "$work/disk.raw" <<EOF
label: gpt
start=$((esp_start / 512)), size=$((esp_bytes / 512)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$esp_partuuid, name="ESP"
start=$((root_start / 512)), size=$((root_bytes / 512)), type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$root_partuuid, name="root"
EOF
dd if="$work/esp.img" of="$work/disk.raw" bs=1M seek=$((esp_start / 1048576)) conv=notrunc,sparse status=none
dd if="$work/root.img" of="$work/disk.raw" bs=1M seek=$((root_start / 1048576)) conv=notrunc,sparse status=none
rm -f "$work/esp.img" "$work/root.img"
cat >"$work/image.env" <<EOF
IMAGE_SUITE=$SUITE
IMAGE_KERNEL_RELEASE=$kver
IMAGE_KERNEL2_PACKAGE=$k2_pkg
IMAGE_KERNEL2_RELEASE=${k2_pkg#linux-image-}
IMAGE_UKI=$uki
IMAGE_MACHINE_ID=$machine_id
IMAGE_LUKS_UUID=$luks_uuid
IMAGE_ESP_OFFSET=$esp_start
IMAGE_ESP_SIZE=$esp_bytes
IMAGE_ROOT_OFFSET=$root_start
IMAGE_ROOT_SIZE=$root_bytes
IMAGE_BUILD_SECONDS=$((SECONDS - t0))
IMAGE_ZUKI_SOURCE=$source_key
IMAGE_ZUKI_DEB_VERSION=$(dpkg-deb -f "$deb" Version)
IMAGE_ZUKI_DEB_SHA256=$(sha256sum <"$deb" | cut -d' ' -f1)
EOF
printf '%s\n' "$versions" >"$work/versions"
touch "$work/ok"
step "done in $((SECONDS - t0)) s"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
# Older images are not needed again.
find "$ZUKI_CACHE/images" -mindepth 1 -maxdepth 1 -type d -name "$SUITE-amd64-*" ! -path "$out" -exec rm -rf {} +
log "image: $out/disk.raw"
