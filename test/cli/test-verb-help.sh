#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `zuki VERB --help` for every verb of zuki(1): exit 0, that verb's usage, every option the man
# page names in the verb's section, and no option the man page does not name there (the help is
# made from the same option table getopt_long parses, so this keeps zuki(1) in step with it).
# `zuki --help` names every verb.
#   test-verb-help.sh ZUKI ZUKI.1
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
zuki=$1 manpage=$2

# check NAME WHY CONDITION...: ok when CONDITION (a command) succeeds, else FAIL with WHY.
check() {
        local name=$1 why=$2
        shift 2
        if "$@"; then ok "$name"; else bad "$name${why:+: $why}"; fi
}

# Long options in zuki(1) for VERB. "tags": those its SYNOPSIS gives the verb and those that head
# an item (.TP) of its section ".SS zuki VERB" -- the options the verb must have. "all": every
# option the section or the synopsis names -- the only ones the verb may have (the text also names
# other programs' options, e.g. "systemd-cryptenroll --tpm2-public-key").
man_options() {
        sed 's/\\-/-/g' "$manpage" | awk -v verb="$1" -v which="$2" '
                /^\.SH SYNOPSIS/ { syn = 1; next }
                /^\.SH / { syn = 0 }
                syn && $0 == ".B zuki " verb { on_syn = 1; next }
                syn && /^\.br/ { on_syn = 0 }
                /^\.S[SH] / { on = ($0 == ".SS zuki " verb); tag = 0; next }
                on_syn { print; next }
                on && /^\.TP/ { tag = 1; next }
                on && (tag || which == "all") { print }
                { tag = 0 }' | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# The options that `zuki VERB --help` lists (the first long option of each row).
help_options() {
        sed -n '/^Options:/,/^$/p' | sed -nE 's/^ +(-[a-zA-Z0-9], )?(--[a-z0-9][a-z0-9-]*).*/\2/p' | sort -u
}

mapfile -t verbs < <(sed 's/\\-/-/g' "$manpage" | sed -n 's/^\.SS zuki \(.*\)$/\1/p')
[[ ${#verbs[@]} -ge 9 ]] || fail "found only ${#verbs[@]} verbs in $manpage"

overview=$("$zuki" --help)
for verb in "${verbs[@]}"; do
        check "zuki --help lists $verb" "" grep -q "^  zuki $verb " <<<"$overview"

        help=$("$zuki" "$verb" --help 2>&1)
        rc=$?
        check "zuki $verb --help exits 0" "exit $rc" test "$rc" -eq 0
        first=$(head -n1 <<<"$help")
        check "zuki $verb --help starts with its usage" "$first" test "${first#Usage: zuki "$verb" }" != "$first"
        check "zuki $verb -h is --help" "" test "$("$zuki" "$verb" -h)" == "$help"

        listed=$(help_options <<<"$help")
        missing=$(comm -23 <(man_options "$verb" tags) <(echo "$listed") | xargs)
        check "zuki $verb --help lists every option zuki(1) gives it" "not listed: $missing" test -z "$missing"
        extra=$(comm -13 <(man_options "$verb" all) <(echo "$listed") | grep -vx -- --help | xargs)
        check "zuki $verb --help lists only options zuki(1) names for it" "not in zuki(1): $extra" test -z "$extra"
        # One line of description per option: every option row has text after its name.
        bare=$(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -E '^ +(-[a-zA-Z], )?--' | grep -vE -- '--[^ ]*( [^ ]+)? {2,}[^ ]' | xargs)
        check "zuki $verb --help describes every option" "$bare" test -z "$bare"
done
summary
