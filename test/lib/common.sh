# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Helpers every test script sources (see test/README.md):
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
#
#   fail MSG...           print "FAIL: MSG" and exit 1
#   skip REASON...        print "SKIP: REASON" and exit 77 (Meson counts the test as skipped). Only
#                         for a missing external tool or asset, and say which.
#   ok MSG... / bad MSG...  for tests that go on after a failed check: count $checks and
#                         $failures, print "ok: MSG" / "FAIL: MSG"; `summary` prints
#                         "N passed, M failed" and returns non-zero if anything failed
#   need_tool TOOL [PACKAGE]  skip unless TOOL is on PATH
#   at_exit CMD           run CMD (eval'd) on exit; the last registered runs first
#   make_tmp              a fresh directory in $tmp, removed on exit (kept and named if KEEP is set)
#   load_assets           source tools/setup.sh's assets.env ($ZUKI_ASSETS, else
#                         $ZUKI_CACHE/assets.env, else /var/cache/zuki/assets.env) or skip
#   need_asset VAR WHAT   skip with "WHAT not in the asset cache" unless $VAR names a file
#   swtpm_start DIR       a private swtpm for tpm2-tools/systemd-measure on a free TCP port (state
#                         in DIR, kept across restarts); sets SWTPM_TCTI and TPM2TOOLS_TCTI
#   swtpm_start_qemu DIR  a swtpm for QEMU's tpm-emulator on the Unix socket DIR/sock (the firmware
#                         sends TPM2_Startup itself); sets swtpm_pid
#   swtpm_stop            stop either (registered with at_exit by both starts)
#   pcrmodel ARGS...      the independent PCR model, test/lib/pcrmodel.py (see its header)
#   need_secboot_firmware skip unless virt-firmware and trixie's secboot OVMF are there; sets vf
#   secboot_vars OUT PK_CERT DB_CERT [VIRT-FW-VARS ARGS...]
#                         trixie's OVMF variables with Secure Boot on: PK_CERT as PK and KEK,
#                         DB_CERT in db, beside virt-firmware's Microsoft KEK/db set (pass
#                         --no-microsoft for none); fails the test if virt-firmware fails
#   OVMF_SMM_MACHINE      QEMU's machine options for OVMF's SMM builds (secboot, strictnx)
#
# Scripts keep `set -uo pipefail` themselves; nothing here changes shell options.

ZUKI_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ZUKI_SYSTEM_PYTHON=/usr/bin/python3 # Debian's interpreter, the one with python3-pefile

fail() {
        echo "FAIL: $*"
        exit 1
}

skip() {
        echo "SKIP: $*"
        exit 77
}

checks=0 failures=0
ok() {
        checks=$((checks + 1))
        echo "ok: $*"
}
bad() {
        checks=$((checks + 1)) failures=$((failures + 1))
        echo "FAIL: $*"
}
summary() {
        echo "$((checks - failures)) passed, $failures failed"
        ((failures == 0))
}

need_tool() {
        command -v "$1" >/dev/null || skip "$1 not installed${2:+ (package $2)}"
}

_zuki_at_exit=()
_zuki_run_at_exit() {
        local i
        for ((i = ${#_zuki_at_exit[@]} - 1; i >= 0; i--)); do
                eval "${_zuki_at_exit[i]}"
        done
}
at_exit() {
        ((${#_zuki_at_exit[@]})) || trap _zuki_run_at_exit EXIT
        _zuki_at_exit+=("$1")
}

make_tmp() {
        # shellcheck disable=SC2034 # for the caller
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/zuki-test.XXXXXX") || fail "mktemp"
        # shellcheck disable=SC2016 # expanded at exit
        at_exit 'if [[ -n ${KEEP:-} ]]; then echo "kept $tmp"; else rm -rf "$tmp"; fi'
}

load_assets() {
        local file=${ZUKI_ASSETS:-${ZUKI_CACHE:-/var/cache/zuki}/assets.env}
        [[ -r $file ]] || skip "no $file (run tools/setup.sh)"
        # shellcheck disable=SC1090
        source "$file"
}

need_asset() {
        [[ -f ${!1:-} ]] || skip "$2 not in the asset cache"
}

# --- swtpm -----------------------------------------------------------------------------------
swtpm_pid=

_free_port_pair() {
        "$ZUKI_SYSTEM_PYTHON" - <<'PY'
import socket
for _ in range(50):
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        a.close(); continue
    a.close(); b.close(); print(p); break
PY
}

# tpm2-tss 3.2's swtpm TCTI has no Unix-socket mode, hence TCP on localhost.
swtpm_start() {
        local dir=$1 port
        need_tool swtpm swtpm
        mkdir -p "$dir"
        [[ " ${_zuki_at_exit[*]} " == *" swtpm_stop "* ]] || at_exit swtpm_stop
        for _ in 1 2 3 4 5; do
                port=$(_free_port_pair)
                swtpm socket --tpm2 --tpmstate dir="$dir" \
                        --server type=tcp,port="$port",bindaddr=127.0.0.1 \
                        --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
                        --flags not-need-init,startup-clear >"$dir/swtpm.log" 2>&1 &
                swtpm_pid=$!
                for _ in $(seq 50); do
                        if tpm2_getcap -T "swtpm:host=127.0.0.1,port=$port" properties-fixed >/dev/null 2>&1; then
                                SWTPM_TCTI="swtpm:host=127.0.0.1,port=$port"
                                export TPM2TOOLS_TCTI=$SWTPM_TCTI
                                return 0
                        fi
                        kill -0 "$swtpm_pid" 2>/dev/null || break
                        sleep 0.1
                done
                swtpm_stop
        done
        echo "swtpm did not start: $(cat "$dir/swtpm.log")"
        return 1
}

# No --flags startup-clear: the firmware sends TPM2_Startup itself.
swtpm_start_qemu() {
        local dir=$1
        need_tool swtpm swtpm
        mkdir -p "$dir"
        [[ " ${_zuki_at_exit[*]} " == *" swtpm_stop "* ]] || at_exit swtpm_stop
        swtpm socket --tpm2 --tpmstate "dir=$dir" --ctrl "type=unixio,path=$dir/sock" \
                --log "file=$dir/log" --terminate &
        swtpm_pid=$!
        for _ in $(seq 100); do
                [[ -S $dir/sock ]] && return 0
                kill -0 "$swtpm_pid" 2>/dev/null || break
                sleep 0.05
        done
        echo "swtpm did not start: $(cat "$dir/log" 2>/dev/null)"
        return 1
}

swtpm_stop() {
        if [[ -n $swtpm_pid ]]; then
                kill -CONT "$swtpm_pid" 2>/dev/null # a test may have stopped it (--tpm-fault-signal STOP)
                kill "$swtpm_pid" 2>/dev/null
                wait "$swtpm_pid" 2>/dev/null
                swtpm_pid=
        fi
}

# need_secboot_firmware: skips unless virt-firmware (to enrol keys) and trixie's secboot OVMF are
# there; sets vf to virt-firmware's PYTHONPATH. Call after load_assets.
need_secboot_firmware() {
        vf=${ZUKI_VIRT_FIRMWARE_PYTHONPATH:-}
        [[ -n $vf && -d $vf ]] || skip "no python3-virt-firmware tree (run tools/setup.sh)"
        PYTHONPATH=$vf "$ZUKI_SYSTEM_PYTHON" -c 'import virt.firmware.vars' 2>/dev/null ||
                skip "virt-firmware does not import (needs python3-importlib-resources, python3-cryptography)"
        [[ -r ${ZUKI_OVMF_TRIXIE_VARS:-} && -r ${ZUKI_OVMF_TRIXIE_SECBOOT_CODE:-} ]] ||
                skip "trixie OVMF missing (run tools/setup.sh)"
}

# secboot_vars OUT PK_CERT DB_CERT [ARGS...]: see the header. The log goes to OUT.log.
secboot_vars() {
        local out=$1 pk=$2 db=$3
        shift 3
        PYTHONPATH=$vf "$ZUKI_SYSTEM_PYTHON" -m virt.firmware.vars -i "$ZUKI_OVMF_TRIXIE_VARS" -o "$out" \
                --enroll-cert "$pk" --add-db 8be4df61-93ca-11d2-aa0d-00e098032b8c "$db" --sb "$@" \
                >"$out.log" 2>&1 || { cat "$out.log"; fail "virt-firmware cannot write $out"; }
}

# OVMF's SMM builds keep the variable store in SMM: they need SMM and a secure flash, and S3 off
# (their SMM support excludes it).
# shellcheck disable=SC2034,SC2054 # used by the scripts that source this; the commas are QEMU's
OVMF_SMM_MACHINE=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
        -global ICH9-LPC.disable_s3=1)

pcrmodel() {
        "$ZUKI_SYSTEM_PYTHON" "$ZUKI_TEST_DIR/lib/pcrmodel.py" "$@"
}

# run_case NAME COMMAND...: one case of a multi-boot test. The output goes to $tmp/NAME.out (make_tmp
# first); on success its ok/elapsed lines and "ok: NAME (N s)", on SKIP (77) the test skips, on
# failure the lines that say why and "FAIL: NAME" (status 1).
run_case() {
        local name=$1 t=$SECONDS
        shift
        echo "== $name"
        if "$@" >"$tmp/$name.out" 2>&1; then
                grep -a -E '^(ok|boot.sh: elapsed)' "$tmp/$name.out"
                ok "$name ($((SECONDS - t)) s)"
                return 0
        fi
        local rc=$?
        ((rc == 77)) && skip "$(grep -a -m1 SKIP "$tmp/$name.out")"
        grep -a -E 'zuki|FAIL|MISMATCH|boot.sh|Unhandled|Kernel panic' "$tmp/$name.out" | tail -n 15
        bad "$name"
        return 1
}
