# shellcheck shell=bash
# checkov (PyPI) over deploy/: installs a pinned version into a virtualenv in
# the user's cache and runs it. Source it after scripts/lib/common.sh, then:
#
#   checkov_run     install if needed, scan deploy/, print failed checks and the
#                   counts; non-zero on any failed check not in SMF_CHECKOV_SKIPS
#
# Sets CHECKOV_COUNTS (e.g. "dockerfile: 82 passed, 0 failed, 0 skipped") for
# the caller's summary.

readonly SMF_CHECKOV_VERSION=3.3.30

# Checks skipped on purpose, one per line with the reason as a comment; each
# must also be justified in docs/SECURITY.md (section "checkov"). Empty today:
# every check checkov runs over deploy/ passes.
readonly SMF_CHECKOV_SKIPS=(
)

CHECKOV_COUNTS=""

_checkov_dir() { printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/smflow/checkov-$SMF_CHECKOV_VERSION"; }

checkov_install() {
    local dir
    dir=$(_checkov_dir)
    [[ -x $dir/bin/checkov ]] && return 0
    pip_venv_install "$dir" "checkov==$SMF_CHECKOV_VERSION"
}

checkov_run() {
    checkov_install || return 1
    local dir out rc=0 skip_arguments=()
    dir=$(_checkov_dir)
    out=$(mktemp "${TMPDIR:-/tmp}/smflow-checkov.XXXXXX")
    if ((${#SMF_CHECKOV_SKIPS[@]} > 0)); then
        skip_arguments=(--skip-check "$(IFS=,; printf '%s' "${SMF_CHECKOV_SKIPS[*]}")")
    fi
    # --skip-download: no calls to the vendor's platform (and none are possible offline).
    "$dir/bin/checkov" --directory deploy --skip-download --quiet --compact --output cli \
        "${skip_arguments[@]}" >"$out" 2>&1 || rc=$?
    cat -- "$out" >&2
    CHECKOV_COUNTS=$(awk '
        / scan results:$/ { framework = $1 }
        /^Passed checks:/ { gsub(",", ""); printf "%s%s: %s passed, %s failed, %s skipped", sep, framework, $3, $6, $9; sep = "; " }
    ' "$out")
    rm -f -- "$out"
    [[ -n $CHECKOV_COUNTS ]] || { warn "checkov printed no results"; return 1; }
    return "$rc"
}
