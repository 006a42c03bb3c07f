#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki-status.service as built passes systemd-analyze verify (with ExecStart pointed at the
# build tree's zuki, since nothing is installed), and the command it runs works on this host.
#   test-unit-verify.sh UNIT ZUKI
set -uo pipefail
unit=$1 zuki=$(realpath "$2")
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
grep -q '^ExecStart=.*/zuki status$' "$unit" || { echo "FAIL: unexpected ExecStart in $unit"; exit 1; }
sed "s|^ExecStart=.*|ExecStart=$zuki status|" "$unit" >"$tmp/zuki-status.service"
systemd-analyze verify --man=no "$tmp/zuki-status.service" || { echo "FAIL: systemd-analyze verify"; exit 1; }
"$zuki" status >/dev/null || { echo "FAIL: zuki status failed on this host"; exit 1; }
echo PASS
