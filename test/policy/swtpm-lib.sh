# shellcheck shell=bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# A private swtpm for a test, reachable over TCP on a free localhost port (tpm2-tss 3.2's swtpm
# TCTI has no Unix-socket mode). Sourced by the policy tests.
#   swtpm_start DIR      start (state in DIR); sets SWTPM_TCTI, exports TPM2TOOLS_TCTI
#   swtpm_stop           stop it (the state directory stays, so keys derived from the seeds
#                        stay the same after a restart)

swtpm_pid=

free_port_pair() {
        /usr/bin/python3 - <<'PY'
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

swtpm_start() {
        local dir=$1 port
        mkdir -p "$dir"
        for _ in 1 2 3 4 5; do
                port=$(free_port_pair)
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

swtpm_stop() {
        if [[ -n $swtpm_pid ]]; then
                kill "$swtpm_pid" 2>/dev/null
                wait "$swtpm_pid" 2>/dev/null
                swtpm_pid=
        fi
}
