#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# zuki-status.service as built passes systemd-analyze verify (with ExecStart pointed at the
# build tree's zuki, since nothing is installed), and the command it runs works on this host.
#   test-unit-verify.sh UNIT ZUKI
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
unit=$1 zuki=$(realpath "$2")
need_tool systemd-analyze
make_tmp
grep -q '^ExecStart=.*/zuki status$' "$unit" || fail "unexpected ExecStart in $unit"
sed "s|^ExecStart=.*|ExecStart=$zuki status|" "$unit" >"$tmp/zuki-status.service"
systemd-analyze verify --man=no "$tmp/zuki-status.service" || fail "systemd-analyze verify"
"$zuki" status >/dev/null || fail "zuki status failed on this host"
echo PASS
