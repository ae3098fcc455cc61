# shellcheck shell=bash
# The HTML security report (`smflow security-report --format html`, issue 9) rendered in
# headless Chromium. Source it after scripts/lib/common.sh, then, after the build:
#
#   report_run      installs Debian `chromium` if missing (as root; a WARN and "SKIPPED" if that
#                   is impossible), writes two reports — the seeded one of
#                   SecurityReportTests.html_is_self_contained… (SQLite, includes an account named
#                   <script>alert(1)</script>) and one from the built `smflow` CLI on a fresh
#                   database — renders each to PNG with the network disabled (dead proxy, every
#                   host unresolvable) and fails if Chromium logs a console message (a script ran,
#                   a CSP violation, an error), if the page itself requested anything that is not
#                   file: or data: (NetLog requests whose initiator is the page), if the rendered
#                   DOM has a <script>, or if the PNG is missing. Also checks that a bad --since
#                   exits 64. Screenshots stay in .build/security-report/.
#
# Sets REPORT_COUNTS (e.g. "2 reports rendered, PNGs in .build/security-report") for the summary.
# Takes a few seconds once Chromium is installed (the install itself ~30 s).

REPORT_COUNTS=""

# Installs chromium when missing; never exits the script (unlike ensure_debian_packages).
report_chromium_ensure() {
    command -v chromium >/dev/null 2>&1 && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    log "installing Debian package chromium (HTML security report check)"
    export DEBIAN_FRONTEND=noninteractive
    { timeout 300 apt-get install -y -q --no-install-recommends chromium >&2 \
        || { timeout 120 apt-get update -q >&2 && timeout 300 apt-get install -y -q --no-install-recommends chromium >&2; }; } \
        </dev/null || return 1
    command -v chromium >/dev/null 2>&1
}

# report_render HTML PNG WORKDIR: renders one file; prints the problems found, returns 1 on any.
report_render() {
    local html=$1 png=$2 work=$3 rc=0 problems=""
    local sandbox=()
    is_root && sandbox=(--no-sandbox)
    rm -f -- "$png"
    timeout 60 chromium --headless "${sandbox[@]}" --disable-gpu --no-first-run --no-default-browser-check \
        --disable-extensions --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/profile" --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='http://127.0.0.1:9' \
        --log-net-log="$work/net.json" --enable-logging=stderr --v=0 --window-size=1100,3000 \
        --screenshot="$png" "file://$html" >"$work/chromium.out" 2>"$work/chromium.err" </dev/null || rc=$?
    ((rc == 0)) || problems+="chromium exited with status $rc"$'\n'
    [[ -s $png ]] || problems+="no screenshot written"$'\n'
    # Console messages: script output, CSP violations, page errors.
    problems+=$(grep -E ':CONSOLE[:(]|Refused to|Uncaught' "$work/chromium.err" | cut -c1-300)$'\n'
    # Requests the page made (initiator = the page's origin, "null" for file:); Chromium's own
    # background requests have the initiator "not an origin" and go nowhere (dead proxy).
    problems+=$(python3 - "$work/net.json" <<'EOF'
import json, sys
try:
    log = json.load(open(sys.argv[1]))
except Exception as error:  # a NetLog that was not written is a failure too
    print(f"NetLog unreadable: {error}")
    sys.exit(0)
types = {v: k for k, v in log["constants"]["logEventTypes"].items()}
for event in log["events"]:
    params = event.get("params") or {}
    if types.get(event["type"]) == "URL_REQUEST_START_JOB" and "url" in params:
        if params.get("initiator") != "not an origin" and not params["url"].startswith(("file:", "data:")):
            print(f"page requested {params['url'][:120]}")
EOF
)$'\n'
    timeout 60 chromium --headless "${sandbox[@]}" --disable-gpu --no-first-run --user-data-dir="$work/profile" \
        --host-resolver-rules='MAP * ~NOTFOUND' --proxy-server='http://127.0.0.1:9' \
        --dump-dom "file://$html" >"$work/dom.html" 2>/dev/null </dev/null || problems+=$'\n'"chromium --dump-dom failed"
    grep -qi '<script' "$work/dom.html" && problems+=$'\n'"the rendered DOM contains <script"
    grep -q '<svg' "$work/dom.html" || problems+=$'\n'"the rendered DOM has no chart (<svg>)"
    problems=$(printf '%s\n' "$problems" | grep -v '^$' || true)
    if [[ -n $problems ]]; then
        printf '%s\n' "$problems" | sed 's/^/    /' >&2
        return 1
    fi
    return 0
}

report_run() {
    REPORT_COUNTS=""
    if ! report_chromium_ensure; then
        warn "chromium not installed and cannot be installed: the HTML security report render check is SKIPPED"
        REPORT_COUNTS="SKIPPED: no chromium"
        return 0
    fi
    local out work smflow failed=0 rendered=0 rc=0
    out=$(pwd)/.build/security-report
    mkdir -p "$out"
    work=$(mktemp -d "${TMPDIR:-/tmp}/smflow-report.XXXXXX")
    smflow=$(pwd)/.build/debug/smflow

    # 1. The seeded report of the test (SQLite in memory).
    rm -f -- "$out/seeded.html"
    env -u SMF_TEST_DATABASE_URL -u SMF_TEST_PG_ADMIN_URL -u SMF_TEST_PG_BIN SMF_TEST_REPORT_HTML="$out/seeded.html" \
        swift test --skip-build --filter 'SecurityReportTests.*html_is_self_contained' >"$work/test.log" 2>&1 || {
        tail -n 30 "$work/test.log" >&2
        warn "SecurityReportTests html test failed"
        failed=1
    }
    # 2. The CLI on a fresh SQLite database (empty report), and a usage error.
    mkdir -p "$work/cli"
    (cd "$work/cli" && env -i PATH="$PATH" HOME="$work/cli" SMF_LOG_LEVEL=warning \
        "$smflow" security-report --format html --output "$out/cli.html" >"$work/cli.log" 2>&1) || {
        cat "$work/cli.log" >&2
        warn "smflow security-report --format html failed"
        failed=1
    }
    (cd "$work/cli" && env -i PATH="$PATH" HOME="$work/cli" "$smflow" security-report --since 7years >/dev/null 2>&1) || rc=$?
    if ((rc != 64)); then
        warn "smflow security-report --since 7years exited $rc, expected 64"
        failed=1
    fi

    local name
    for name in seeded cli; do
        [[ -s $out/$name.html ]] || { warn "$out/$name.html was not written"; failed=1; continue; }
        mkdir -p "$work/$name"
        if report_render "$out/$name.html" "$out/$name.png" "$work/$name"; then
            rendered=$((rendered + 1))
            info "rendered $out/$name.html -> $out/$name.png (no console messages, no page requests, no <script>)"
        else
            warn "$name.html: Chromium render check failed (see above)"
            failed=1
        fi
    done
    rm -rf -- "$work"
    REPORT_COUNTS="$rendered reports rendered, PNGs in .build/security-report"
    return "$failed"
}
