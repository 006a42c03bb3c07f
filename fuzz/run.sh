#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the libFuzzer targets of src/shared.
#
#   fuzz/run.sh [BUILD_DIR] [SECONDS_PER_TARGET]
#       Builds the harnesses (meson compile), generates the seed corpus into
#       BUILD_DIR/fuzz/seeds, replays it, then fuzzes each target for SECONDS_PER_TARGET
#       (default 20) and prints execs, corpus size and coverage per target. New inputs are
#       kept in BUILD_DIR/fuzz/work/<target> across runs, crashes in
#       BUILD_DIR/fuzz/artifacts/. Exits non-zero when any target crashed.
#       Environment: FUZZ_TARGETS="pe zboot ..." (default all), FUZZ_PARALLEL=N targets at
#       once (default 1), FUZZ_FRESH=1 to drop the kept work corpora first.
#
#   fuzz/run.sh --one HARNESS CORPUS_DIR TARGET SECONDS MAX_LEN
#       What `meson test --suite fuzz` runs: replays CORPUS_DIR/TARGET and fuzzes for SECONDS
#       with a scratch work corpus, crash inputs go to CORPUS_DIR/../artifacts/.

set -u
here=$(cd "$(dirname "$0")" && pwd)
all_targets="pe zboot uki text cpio kaslr wx pcrsig x86"

max_len_of() {
        case $1 in
                pe | uki | wx) echo 131072 ;;
                zboot) echo 65536 ;;
                text) echo 4096 ;;
                cpio) echo 8192 ;;
                kaslr) echo 1200 ;;
                pcrsig) echo 16384 ;;
                *) echo 4096 ;;
        esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# stats LOG: "execs cov corpus" from libFuzzer's final stats and last status line.
stats() {
        local log=$1 execs cov corp line
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        line=$(grep -E '^#[0-9]+.* cov: ' "$log" | tail -n1)
        cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
        corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$line")
        [ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$line")
        echo "${execs:-?} ${cov:-?} ${corp:-?}"
}

# Prints why a run failed: the invariant or sanitizer summary and the saved input.
explain() {
        local log=$1
        grep -E 'invariant violated|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY:|runtime error:|Test unit written to' \
                "$log" | head -n 8 | sed 's/^/    /'
}

if [ "${1:-}" = "--one" ]; then
        [ $# -eq 6 ] || { echo "usage: $0 --one HARNESS CORPUS_DIR TARGET SECONDS MAX_LEN" >&2; exit 2; }
        harness=$2 corpus=$3 target=$4 seconds=$5 max_len=$6
        artifacts=$(dirname "$corpus")/artifacts
        mkdir -p "$artifacts"
        work=$(mktemp -d "${TMPDIR:-/tmp}/zuki-fuzz-$target.XXXXXX")
        trap 'rm -rf "$work"' EXIT
        log=$work/log
        mkdir -p "$work/corpus"
        dict=()
        [ -f "$corpus/$target.dict" ] && dict=(-dict="$corpus/$target.dict")
        # libFuzzer's own exit code for a crash is 77, which Meson counts as a skip: say 1.
        "$harness" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
                -error_exitcode=1 -timeout_exitcode=1 \
                -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" \
                "$work/corpus" "$corpus/$target" >"$log" 2>&1
        rc=$?
        read -r execs cov corp <<<"$(stats "$log")"
        echo "fuzz-$target: execs $execs, cov $cov, corpus $corp, exit $rc"
        if [ $rc -ne 0 ]; then
                explain "$log"
                echo "--- last lines of the libFuzzer log:"
                tail -n 40 "$log"
        fi
        exit $rc
fi

build=${1:-build}
seconds=${2:-20}
targets=${FUZZ_TARGETS:-$all_targets}
parallel=${FUZZ_PARALLEL:-1}
[ -d "$build" ] || { echo "$0: no build directory $build (meson setup $build first)" >&2; exit 2; }
build=$(cd "$build" && pwd)
out=$build/fuzz
python=/usr/bin/python3
[ -x "$python" ] || python=python3

names=()
for t in $targets; do names+=("fuzz-$t"); done
if ! meson compile -C "$build" "${names[@]}" >"$out.compile.log" 2>&1; then
        cat "$out.compile.log" >&2
        echo "$0: building the harnesses failed (is fuzz/ registered and clang++ with its fuzzer runtime installed?)" >&2
        exit 2
fi
rm -f "$out.compile.log"

mkdir -p "$out/logs" "$out/artifacts" "$out/work"
"$python" "$here/make-corpus.py" "$out/seeds" || exit 2
[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$out/work"

run_target() {
        local t=$1 harness=$out/fuzz-$1 max_len log rc
        max_len=$(max_len_of "$t")
        log=$out/logs/$t.log
        mkdir -p "$out/work/$t"
        # Replay the seeds (and what earlier runs kept) first: a crash here is a regression.
        "$harness" -runs=0 -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix="$out/artifacts/$t-" "$out/work/$t" "$out/seeds/$t" >"$out/logs/$t.replay.log" 2>&1
        rc=$?
        if [ $rc -ne 0 ]; then
                cp "$out/logs/$t.replay.log" "$log"
                echo $rc >"$out/logs/$t.rc"
                return
        fi
        "$harness" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
                -use_value_profile=1 -print_final_stats=1 -dict="$out/seeds/$t.dict" \
                -artifact_prefix="$out/artifacts/$t-" "$out/work/$t" "$out/seeds/$t" >"$log" 2>&1
        echo $? >"$out/logs/$t.rc"
}

for t in $targets; do
        [ -x "$out/fuzz-$t" ] || { echo "$0: no harness $out/fuzz-$t" >&2; exit 2; }
        rm -f "$out/logs/$t.rc"
        echo "fuzz-$t: replaying $(find "$out/seeds/$t" -type f | wc -l) seeds, then fuzzing for ${seconds}s (max_len $(max_len_of "$t"))"
        run_target "$t" &
        while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n; done
done
wait

failed=0
printf '\n%-12s %12s %8s %16s %s\n' target execs cov corpus result
for t in $targets; do
        rc=$(cat "$out/logs/$t.rc" 2>/dev/null || echo 255)
        read -r execs cov corp <<<"$(stats "$out/logs/$t.log")"
        result=ok
        [ "$rc" -ne 0 ] && { result="CRASH (exit $rc, log $out/logs/$t.log)"; failed=1; }
        printf '%-12s %12s %8s %16s %s\n' "fuzz-$t" "$execs" "$cov" "$corp" "$result"
        [ "$rc" -ne 0 ] && explain "$out/logs/$t.log"
done
exit $failed
