#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# ukify (257, or 262 with --ukify ZUKI_UKIFY262) through zuki-ukify with --measure and Secure Boot signing (and, with --pcrsig, a
# signed PCR policy), then the UKI boots in QEMU/OVMF with a software TPM:
#   - sbverify accepts the Authenticode signature with the certificate ukify signed with;
#   - the guest's PCR 11 equals PCR 11 computed from the UKI's sections by test/lib/pcrmodel.py;
#   - zuki status in the guest reports the zuki stub, its KASLR/W^X variable and the same PCR 11;
#   - --pcrsig: the UKI's .pcrsig holds the TPM2_PolicyPCR digest (from pcrmodel.py) of
#     the guest's PCR 11 extended with "enter-initrd" (ukify's default phases; the busybox guest
#     has no systemd-pcrphase), and zuki status in the guest says the UKI's own policy holds but
#     the volume in the guest's /etc/crypttab (a LUKS2 header whose token trusts another key)
#     would not unlock;
#   - zuki status replays the firmware's event log to the guest's live PCRs.
#   test-ukify-boot.sh [--pcrsig] [--ukify UKIFY_ASSET] PLUGIN KERNEL INITRD OS_RELEASE
# UKIFY_ASSET names the ukify in assets.env: ZUKI_UKIFY (trixie's 257, the default) or
# ZUKI_UKIFY262 (sid's 262).
# Environment: ZUKI_BIN, ZUKI_STUB_DIR, ZUKI_UKIFY_TOOLS (build tree), ZUKI_CACHE.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"
pcrsig=0 ukify_asset=ZUKI_UKIFY
[[ ${1:-} == --pcrsig ]] && { pcrsig=1; shift; }
[[ ${1:-} == --ukify ]] && { ukify_asset=$2; shift 2; }
plugin=$1 kernel=$2 initrd=$3 osrel=$4
load_assets
[[ $ukify_asset == ZUKI_UKIFY || $ukify_asset == ZUKI_UKIFY262 ]] ||
        fail "unknown ukify asset $ukify_asset (want ZUKI_UKIFY or ZUKI_UKIFY262)"
need_asset "$ukify_asset" "ukify ($ukify_asset)"
ZUKI_UKIFY=${!ukify_asset}
need_tool sbverify sbsigntool
export ZUKI_UKIFY
make_tmp

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/db.key" -out "$tmp/db.crt" -subj "/CN=zuki test db/" \
        -days 2 2>/dev/null || fail "openssl req"
zuki_status_hook "$tmp/hook.sh"
cat >>"$tmp/hook.sh" <<'HOOK'
[ -f /changed.efi ] && echo "ZUKI-GUEST: status-changed $(zuki status --json --uki /changed.efi 2>/dev/null | tr -d '\n')"
HOOK
guest_files=()
if ((pcrsig)); then
        # A volume the guest's crypttab names, whose systemd-tpm2 token trusts another key than
        # the one that signs the UKI's policy: zuki status must say the unlock would fail.
        command -v cryptsetup >/dev/null || { echo "SKIP: cryptsetup not installed"; exit 77; }
        openssl genrsa -out "$tmp/other.key" 2048 2>/dev/null || fail "openssl genrsa"
        openssl pkey -in "$tmp/other.key" -pubout -out "$tmp/other.pub" || fail "openssl pkey"
        luks_header_trusting "$tmp/other.pub" "$tmp/luks-header.img" || fail "making the LUKS2 header"
        echo "data /luks-data.img none header=/luks-header.img,tpm2-device=auto" >"$tmp/crypttab"
        # "Which event broke it?": a UKI as a kernel update that changed the command line would
        # leave it (same kernel and os-release, another .cmdline), carried in the guest's initrd;
        # zuki status --uki on it must name PCR 11's .cmdline data event as the first that differs
        # from the firmware's log of this boot (.linux and .osrel, measured before, agree).
        "$plugin" build --linux "$kernel" --cmdline "console=ttyS0 panic=-1 zuki.changed=1" --os-release "@$osrel" \
                --output "$tmp/changed.efi" >"$tmp/changed.out" 2>&1 || { cat "$tmp/changed.out"; fail "building the changed UKI"; }
        guest_files=("$tmp/crypttab=etc/crypttab" "$tmp/luks-header.img=luks-header.img" "$tmp/changed.efi=changed.efi")
fi
zuki_guest_cpio "$ZUKI_BIN" "$tmp/hook.sh" "$tmp/hook.cpio" "${guest_files[@]}"
args=(build --linux "$kernel" --initrd "$initrd" --initrd "$tmp/hook.cpio" --cmdline "console=ttyS0 panic=-1"
        --os-release "@$osrel" --measure --secureboot-private-key "$tmp/db.key" --secureboot-certificate "$tmp/db.crt"
        --output "$tmp/uki.efi")
if ((pcrsig)); then
        openssl genrsa -out "$tmp/pcr.key" 2048 2>/dev/null || fail "openssl genrsa"
        openssl pkey -in "$tmp/pcr.key" -pubout -out "$tmp/pcr.pub" || fail "openssl pkey"
        args+=(--pcr-private-key "$tmp/pcr.key" --pcr-public-key "$tmp/pcr.pub")
fi
echo "+ zuki-ukify ${args[*]}"
"$plugin" "${args[@]}" >"$tmp/build.out" 2>&1 || { cat "$tmp/build.out"; fail "zuki-ukify build failed"; }
grep -E '^(11:|zuki-ukify:|\+ .*systemd-measure)' "$tmp/build.out"

sbverify --cert "$tmp/db.crt" "$tmp/uki.efi" || fail "sbverify does not accept the UKI's signature"
expected=$(pcrmodel pcr11 "$tmp/uki.efi") || fail "computing PCR 11 with pcrmodel.py failed"
echo "PCR 11 computed from the UKI's sections: $expected"

bash "$here/../qemu/boot.sh" --arch x86_64 --firmware bookworm --kernel "$tmp/uki.efi" --tpm --rng \
        --timeout 240 --log "$tmp/serial.log" --expect 'ZUKI-GUEST: done' --expect 'ZUKI-GUEST: status \{' \
        --expect-not "zuki: $( ((pcrsig)) && echo error || echo '(error|warning)')" >"$tmp/boot.out" 2>&1
rc=$?
tail -n 3 "$tmp/boot.out"
((rc == 77)) && exit 77
((rc == 0)) || { grep -a -E 'zuki|ZUKI-GUEST: status' "$tmp/boot.out" | tail -n 20; fail "the guest did not boot"; }

guest_pcr11=$(grep -a -m1 '^ZUKI-GUEST: pcr11 ' "$tmp/serial.log" | cut -d' ' -f3 | tr 'A-F' 'a-f')
grep -a -m1 '^ZUKI-GUEST: status ' "$tmp/serial.log" | cut -d' ' -f3- >"$tmp/status.json"
grep -a -m1 '^ZUKI-GUEST: status-changed ' "$tmp/serial.log" | cut -d' ' -f3- >"$tmp/status-changed.json"
pcrsig_json=$tmp/pcrsig.json
if ((pcrsig)); then
        "$ZUKI_PYTHON" "$ZUKI_UKIFY" inspect "$tmp/uki.efi" --section .pcrsig:text --json=short >"$tmp/inspect.json" ||
                fail "ukify inspect .pcrsig failed"
        "$ZUKI_PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[".pcrsig"]["text"])' "$tmp/inspect.json" \
                >"$pcrsig_json" || fail "no .pcrsig in the UKI"
else
        echo '{}' >"$pcrsig_json"
fi
# The PolicyPCR digest of the guest's PCR 11 after "enter-initrd".
pol=$(pcrmodel policy "$guest_pcr11" --phase enter-initrd 2>&1) || pol="(none: $pol)"
changed_cmdline=$(pcrmodel events "$tmp/changed.efi" --pcr 11 2>/dev/null | awk '$4 == ".cmdline" {d=$3} END {print d}')
"$ZUKI_PYTHON" - "$guest_pcr11" "$expected" "$tmp/status.json" "$pcrsig_json" "$pcrsig" "$pol" \
        "$tmp/status-changed.json" "$changed_cmdline" <<'PY' || fail "checks"
import json, sys
guest, expected, status_path, pcrsig_path, want_pcrsig, pol, changed_path, changed_digest = sys.argv[1:9]
status = json.load(open(status_path))
ok = True
def check(what, cond, detail=""):
    global ok
    print(("ok: " if cond else "FAIL: ") + what + (f" ({detail})" if detail else ""))
    ok &= bool(cond)
check("guest PCR 11 equals pcrmodel.py's", guest == expected, guest)
check("zuki status: stub is zuki", str(status["stub"]["info"]).startswith("zuki "), status["stub"]["info"])
check("zuki status: StubZukiPlacement", status["placement"] == {"kaslr": "random", "wx": "no-protocol"}, status["placement"])
check("zuki status: PCR 11 now", status["pcr11"]["now"] == guest)
t = status["timings"] or {}
check("zuki status: StubZukiTimings, every phase inside the total",
      all(isinstance(t.get(k), int) for k in ("total", "measure", "events", "decompress", "load", "initrd"))
      and 0 < t["measure"] + t["decompress"] + t["load"] + t["initrd"] <= t["total"] and t["events"] > 0, t)
# The firmware's event log, replayed by zuki status, agrees with the TPM (the guest's own PCRs).
log = status["event_log"]
check("zuki status: the event log parses", log["error"] is None and log.get("events", 0) > 0, log["error"])
check("zuki status: the event log replays to the live PCRs", log["consistent"] is True,
      [p for p in log["pcrs"] if not p["consistent"]])
check("zuki status: the log's PCR 11 replays to the guest's PCR 11",
      [p["replayed"] for p in log["pcrs"] if p["pcr"] == 11] == [guest])
if want_pcrsig == "1":
    signed = [e["pol"] for e in json.load(open(pcrsig_path)).get("sha256", []) if e.get("pcrs") == [11]]
    check(f"the .pcrsig signs the guest's PCR 11 after enter-initrd ({len(signed)} policies)", pol in signed, pol)
    check("zuki status in the guest: unlock ok after enter-initrd",
          status["pcr11"]["unlock"] == "ok" and status["pcr11"]["match"] == "after enter-initrd"
          and status["pcr11"]["signature_valid"] is True, status["pcr11"])
    vols = status["volumes"]
    check("zuki status in the guest: the crypttab volume's token trusts another key: would fail",
          status["unlock"]["state"] == "would-fail" and len(vols) == 1 and vols[0]["answer"] == "key-mismatch",
          status["unlock"])
    changed = json.load(open(changed_path))
    m = changed["event_log"]["first_mismatch"] or {}
    check("zuki status --uki on a UKI with another .cmdline: the first differing event is PCR 11's .cmdline data",
          m.get("pcr") == 11 and (m.get("expected") or {}).get("description") == ".cmdline"
          and (m.get("expected") or {}).get("digest") == changed_digest
          and (m.get("found") or {}).get("description") == ".cmdline", m)
sys.exit(0 if ok else 1)
PY
if ((pcrsig)); then
        grep -a -q '^ZUKI-GUEST: status-stderr zuki: warning: the next TPM2 unlock would fail: volume data' "$tmp/serial.log" ||
                fail "the guest's zuki status did not warn about the volume"
        echo "ok: the guest's zuki status warned: $(grep -a -m1 -o 'zuki: warning: .*' "$tmp/serial.log" | cut -c1-160)"
fi
echo PASS
