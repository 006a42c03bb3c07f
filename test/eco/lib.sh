# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers shared by the eco tests (sourced).

# zuki_guest_cpio ZUKI HOOK OUT [SRC=DEST]...: an uncompressed newc archive holding /zuki-hook.sh
# (sourced by the test initrd's /init before "done"), the zuki binary as /bin/zuki and the shared
# libraries it needs at the paths ldd reports, so `zuki status` runs inside the busybox guest;
# each SRC=DEST adds the file SRC as /DEST (an /etc/crypttab, a LUKS2 header).
zuki_guest_cpio() {
        local zuki=$1 hook=$2 out=$3 stage lib extra
        shift 3
        stage=$(mktemp -d)
        mkdir -p "$stage/bin"
        install -m 0755 "$zuki" "$stage/bin/zuki"
        install -m 0644 "$hook" "$stage/zuki-hook.sh"
        for extra in "$@"; do
                install -D -m 0644 "${extra%%=*}" "$stage/${extra#*=}"
        done
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

# luks_header_trusting PUBKEY OUT: a LUKS2 detached header file made by cryptsetup (no root, no
# loop devices; cheap PBKDF) holding one systemd-tpm2 token shaped as systemd-cryptenroll 252
# writes it for a signed PCR 11 policy with the public key PUBKEY (tpm2_pubkey = base64 of the
# PEM). tpm2-blob and tpm2-policy-hash are random: zuki only judges the policy. The data device
# is OUT.data.
luks_header_trusting() {
        local pub=$1 out=$2
        printf 'x' >"$out.pass"
        truncate -s 4M "$out.data"
        truncate -s 1M "$out"
        cryptsetup luksFormat --type luks2 --header "$out" --batch-mode --key-file "$out.pass" \
                --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --luks2-metadata-size 16k --luks2-keyslots-size 256k \
                "$out.data" >/dev/null 2>&1 || { echo "cryptsetup luksFormat $out failed"; return 1; }
        printf '{"type":"systemd-tpm2","keyslots":["0"],"tpm2-blob":"%s","tpm2-pcrs":[],"tpm2-pcr-bank":"sha256","tpm2-pin":false,"tpm2-primary-alg":"ecc","tpm2-policy-hash":"%s","tpm2_pubkey_pcrs":[11],"tpm2_pubkey":"%s"}' \
                "$(head -c 64 /dev/urandom | base64 -w0)" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
                "$(base64 -w0 "$pub")" >"$out.token.json"
        cryptsetup token import "$out" --header "$out" --json-file "$out.token.json" --key-slot 0 ||
                { echo "cryptsetup token import $out failed"; return 1; }
}
