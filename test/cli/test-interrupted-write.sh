#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Temporary files of an interrupted write: SIGTERM/SIGINT/SIGHUP while `zuki build` writes leave
# none; SIGKILL (at fixed times and while the temporary file exists) during `zuki build` and an
# in-place `zuki sign` may leave one, and the next zuki run that writes into that directory removes
# it. It removes only zuki's own: a locked one (a live writer), one of another user and a file
# that only looks similar stay.
#   test-interrupted-write.sh ZUKI KERNEL
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$(realpath "$1") kernel=$(realpath "$2")
need_tool flock util-linux
make_tmp
out=$tmp/esp
mkdir -p "$out"
# A large initrd keeps the final write long enough to be caught while its temporary file exists.
head -c 200M /dev/urandom >"$tmp/initrd"
build=(build --linux "$kernel" --no-os-release --initrd "$tmp/initrd" --output "$out/uki.efi")

temporaries() { find "$out" -name '*.zuki-tmp-*' -printf '%f\n' | sort; }

# Starts "$zuki" ARGS in the background and sends SIGNAL once a temporary file exists. Leaves the
# exit status in $status; returns non-zero if the process finished before a temporary appeared.
kill_while_writing() {
        local signal=$1 pid i
        shift
        # A background job starts with SIGINT ignored (and under nohup SIGHUP too), and zuki keeps
        # an ignored signal ignored: restore the defaults for the signals under test.
        env --default-signal=INT,HUP,TERM "$zuki" "$@" >/dev/null 2>&1 &
        pid=$!
        # Polled with builtins only (no fork per round): on a loaded machine a find per round
        # was slow enough to miss the temporary file's short life.
        for ((i = 0; i < 3000; i++)); do
                if compgen -G "$out/*.zuki-tmp-*" >/dev/null; then
                        kill "-$signal" "$pid"
                        wait "$pid"
                        status=$?
                        return 0
                fi
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.01
        done
        wait "$pid"
        status=$?
        return 1
}

# SIGKILL at fixed times (reading, building, writing), then one clean run.
for t in 0.2 0.5 1 2; do
        "$zuki" "${build[@]}" >/dev/null 2>&1 &
        pid=$!
        sleep "$t"
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        echo "SIGKILL after ${t}s: left [$(temporaries | tr '\n' ' ')]"
done
if kill_while_writing KILL "${build[@]}"; then
        [[ -n $(temporaries) ]] && ok "SIGKILL while writing leaves a temporary file (the case to clean)" ||
                bad "SIGKILL while writing left no temporary file: nothing was tested"
else
        bad "zuki build finished before a temporary file was seen"
fi
"$zuki" "${build[@]}" >/dev/null || fail "zuki build after the kills"
left=$(temporaries)
[[ -z $left ]] && ok "one zuki build removes what the SIGKILLed ones left" || bad "left behind: $left"

# Catchable signals: the handler removes the file and the process dies of the signal.
for sig in TERM INT HUP; do
        if kill_while_writing "$sig" "${build[@]}"; then
                left=$(temporaries)
                [[ -z $left ]] && ok "SIG$sig while writing leaves no temporary file" || bad "SIG$sig left $left"
                ((status == 128 + $(kill -l "$sig"))) && ok "zuki died of SIG$sig" || bad "SIG$sig: exit status $status"
        else
                bad "SIG$sig: zuki build finished before a temporary file was seen"
        fi
done

# In-place signing, SIGKILLed while writing; the next sign removes the leftover.
"$zuki" genkey --secureboot-private-key "$tmp/sb.key" --secureboot-certificate "$tmp/sb.crt" >/dev/null ||
        fail "zuki genkey"
sign=(sign --private-key "$tmp/sb.key" --certificate "$tmp/sb.crt" "$out/uki.efi")
if kill_while_writing KILL "${sign[@]}"; then
        [[ -n $(temporaries) ]] || bad "SIGKILL during sign left no temporary file: nothing was tested"
        "$zuki" "${sign[@]}" >/dev/null || fail "zuki sign after the kill"
        left=$(temporaries)
        [[ -z $left ]] && ok "one in-place zuki sign removes what a SIGKILLed sign left" || bad "left behind: $left"
else
        bad "zuki sign finished before a temporary file was seen"
fi

# What is not ours stays: a live writer's (locked), another user's, a look-alike name.
live=$out/uki.efi.zuki-tmp-Live01 stale=$out/uki.efi.zuki-tmp-Gone01
other=$out/uki.efi.zuki-tmp-Othr01 alike=$out/uki.efi.zuki-tmp-short
touch "$live" "$stale" "$other" "$alike"
chown 65534 "$other" 2>/dev/null || other=
flock "$live" sleep 60 &
holder=$!
# shellcheck disable=SC2016 # expanded at exit
at_exit 'kill "$holder" 2>/dev/null'
sleep 0.2
"$zuki" "${build[@]}" >/dev/null || fail "zuki build next to foreign files"
[[ -e $live ]] && ok "a locked temporary file (live writer) stays" || bad "the locked temporary file was removed"
[[ ! -e $stale ]] && ok "an unlocked temporary file is removed" || bad "the stale temporary file stayed"
[[ -z $other || -e $other ]] && ok "another user's temporary file stays" || bad "another user's file was removed"
[[ -e $alike ]] && ok "a file that only looks like a temporary stays" || bad "the look-alike was removed"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
rm -f "$live" "$other" "$alike"
summary
