# shellcheck shell=bash
# The short failure drill (issue 10) for scripts/test. Source after scripts/lib/common.sh, then:
#
#   drill_run   runs `DRILL_SHORT=1 scripts/drill` with the debug binaries of the current
#               build (`swift build --show-bin-path`; build first), results to
#               .build/drill-results.json (benchmarks/drill-results.json keeps the recorded
#               release run) and DRILL_GATE=accounting: non-zero when an accepted webhook was
#               lost, a side effect duplicated, a 5xx body leaked internals, a scenario broke or
#               a process died; a scenario's own timing checks (shedding, recovery) are
#               reported ("N/7 scenarios green") without failing the run, as debug binaries on a
#               shared CI machine are no measure of them. Sets DRILL_COUNTS. About 4 minutes.

DRILL_COUNTS=""

drill_run() {
    local bin_dir results=.build/drill-results.json rc=0
    bin_dir=$(swift build --show-bin-path) || return 1
    rm -f -- "$results"
    DRILL_SHORT=1 DRILL_GATE=accounting DRILL_BIN_DIR="$bin_dir" DRILL_RESULTS="$results" scripts/drill || rc=$?
    if [[ -s $results ]]; then
        # shellcheck disable=SC2034  # read by scripts/test's summary
        DRILL_COUNTS=$(python3 - "$results" <<'EOF' || true
import json, sys
r = json.load(open(sys.argv[1]))
s = r["scenarios"]
green = sum(1 for v in s.values() if v.get("green"))
acc = [v.get("accounting", {}) for v in s.values()]
leaked = sum(v.get("leaked_5xx_bodies", 0) for v in s.values())
print(f"{green}/{len(s)} scenarios green; accepted {sum(a.get('accepted', 0) for a in acc)}, "
      f"lost {sum(a.get('lost', 0) for a in acc)}, duplicates {sum(a.get('duplicates', 0) for a in acc)}, "
      f"leaked 5xx bodies {leaked}")
EOF
        )
    fi
    return "$rc"
}
