# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=sh disable=SC2015 # "write && wait || report" is meant: either failing reports
#
# Guest hook (sourced by guest-init.sh as /zuki-hook.sh): reads PCR 11 and 12 straight from the
# TPM through its TIS registers with busybox devmem. Debian's arm64 kernels have no driver for
# QEMU's arm64 TPM (no CONFIG_TCG_TIS), so the register window is unclaimed and /dev/mem may
# reach it (CONFIG_IO_STRICT_DEVMEM only blocks claimed ranges). This reads the real TPM; nothing
# the stub reports is involved.
#
# TIS FIFO interface, locality 0 (TCG PC Client Platform TPM Profile, 6.5): TPM_ACCESS 0x00,
# TPM_STS 0x18, TPM_DATA_FIFO 0x24, TPM_DID_VID 0xf00.
tis_line=$(grep -i -m1 -E 'MSFT0101|tpm' /proc/iomem)
tis_base=$(echo "$tis_line" | sed 's/^ *\([0-9a-f]*\)-.*/0x\1/')
[ -n "$tis_base" ] || tis_base=0x0c000000
echo "ZUKI-GUEST: tis-base $tis_base ($tis_line) did-vid $(devmem $((tis_base + 0xf00)) 32)"
tis_r8() { devmem $((tis_base + $1)) 8; }
tis_w8() { devmem $((tis_base + $1)) 8 "$2"; }
tis_r32() { devmem $((tis_base + $1)) 32; }
tis_w32() { devmem $((tis_base + $1)) 32 "$2"; }
# tis_wait READER OFFSET MASK: poll until all MASK bits are set (bounded).
tis_wait() {
	n=0
	while [ $(($($1 "$2") & $3)) -ne $(($3)) ] && [ $n -lt 5000 ]; do n=$((n + 1)); done
	[ $n -lt 5000 ]
}
# tis_pcr_read "SELECT0 SELECT1 SELECT2": TPM2_PCR_Read of one sha256 PCR; prints the response.
tis_pcr_read() {
	tis_w8 0x00 0x02 && tis_wait tis_r8 0x00 0x20 || { echo "error-locality"; return; }
	tis_w32 0x18 0x40 && tis_wait tis_r32 0x18 0x40 || { echo "error-ready"; return; }
	# TPM_ST_NO_SESSIONS, size 20, TPM_CC_PCR_Read, TPML_PCR_SELECTION{1, {TPM_ALG_SHA256, 3, select}}
	for x in 80 01 00 00 00 14 00 00 01 7e 00 00 00 01 00 0b 03 $1; do tis_w8 0x24 "0x$x"; done
	tis_w32 0x18 0x20
	# stsValid | dataAvail
	tis_wait tis_r32 0x18 0x90 || { echo "error-response"; return; }
	# header 10 + update counter 4 + selection 10 + digest count 4 + TPM2B size 2 + digest 32
	out="" i=0
	while [ $i -lt 62 ]; do out="$out$(printf %02x "$(tis_r8 0x24)")"; i=$((i + 1)); done
	tis_w32 0x18 0x40
	tis_w8 0x00 0x20
	echo "$out"
}
echo "ZUKI-GUEST: tis-pcr11 $(tis_pcr_read '00 08 00')"
echo "ZUKI-GUEST: tis-pcr12 $(tis_pcr_read '00 10 00')"
