# shellcheck shell=bash
# promtool (Debian package `prometheus`) over deploy/monitoring/. Source it after
# scripts/lib/common.sh, then:
#
#   promtool_run    install if needed (as root), `promtool check config` (which checks the rule
#                   file too), `promtool check rules` and `promtool test rules alerts.test.yml`
#
# Sets PROMTOOL_COUNTS (e.g. "15 rules, unit tests passed") for the caller's summary.

PROMTOOL_COUNTS=""

promtool_run() {
    if ! command -v promtool >/dev/null 2>&1; then
        if is_root; then
            ensure_debian_packages promtool:prometheus || return 1
        else
            warn "promtool not found and not root: install the Debian package prometheus"
            return 1
        fi
    fi
    local out rc=0
    out=$(cd deploy/monitoring && promtool check config prometheus.yml 2>&1 && promtool check rules alerts.yml 2>&1 \
        && promtool test rules alerts.test.yml 2>&1) || rc=$?
    printf '%s\n' "$out" >&2
    PROMTOOL_COUNTS="$(printf '%s\n' "$out" | grep -o '[0-9]* rules found' | tail -1)"
    ((rc == 0)) && PROMTOOL_COUNTS+=", unit tests passed"
    return "$rc"
}
