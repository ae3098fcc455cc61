# shellcheck shell=bash
# The web console in a real browser (issue 11). Source after scripts/lib/common.sh, then:
#
#   console_browser_run   installs Debian chromium + chromium-driver if missing (as root;
#                         a WARN and "SKIPPED" in the summary when that is impossible) and
#                         selenium (PyPI, pinned) into a venv under ~/.cache/smflow; starts
#                         smflow-fakes (fake Telegram), tests/browser/telegram_proxy.py in
#                         front of it (records the setWebhook secret token, mode 600) and
#                         the debug `smflow-testbed serve --with-worker` (the real serve +
#                         worker; loopback outbound allowed in code so the fake is
#                         reachable) on 127.0.0.1 with a fresh SQLite directory; creates
#                         an owner; runs tests/browser/console_test.py (sign in, a 3-node
#                         flow built on the canvas, save, deploy, a fake Telegram update,
#                         the execution followed live, XSS, screenshots at 1280x800 and
#                         390x844, sign out, zero CSP violations in the browser log, one
#                         deliberate violation reported to POST /api/v1/csp-reports);
#                         stops everything it started; non-zero on any failure
#   console_browser_stop  stop what it started (idempotent; for the caller's EXIT trap)
#
# Screenshots and the browser log go to $SMF_CONSOLE_ARTIFACTS (default
# .build/console-browser, not committed). SMF_CONSOLE_KEEP=1 keeps the work directory
# (server log, database). Sets CONSOLE_COUNTS for the summary. About 60 s once installed.

readonly SMF_SELENIUM_VERSION=4.51.0

CONSOLE_COUNTS=""
_CONSOLE_PIDS=()
_CONSOLE_WORK=""

_console_venv() { printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/smflow/selenium-$SMF_SELENIUM_VERSION"; }

# Never exits the script (unlike ensure_debian_packages): a machine without apt
# gets a SKIPPED step, not a failed run.
_console_browser_ensure() {
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 && return 0
    is_root && command -v apt-get >/dev/null 2>&1 || return 1
    log "installing Debian packages chromium chromium-driver (console browser test)"
    { timeout 300 apt-get install -y -q --no-install-recommends chromium chromium-driver >&2 \
        || { timeout 120 apt-get update -q >&2 && timeout 300 apt-get install -y -q --no-install-recommends chromium chromium-driver >&2; }; } \
        || true
    command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1
}

_console_selenium_ensure() {
    local dir
    dir=$(_console_venv)
    [[ -x $dir/bin/python ]] && "$dir/bin/python" -c 'import selenium' 2>/dev/null && return 0
    pip_venv_install "$dir" "selenium==$SMF_SELENIUM_VERSION"
}

# shellcheck disable=SC2317  # also called from the caller's EXIT trap
console_browser_stop() {
    local pid waited
    for pid in "${_CONSOLE_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || continue
        kill -TERM "$pid" 2>/dev/null || true
        waited=0
        while kill -0 "$pid" 2>/dev/null && ((waited < 100)); do sleep 0.1; waited=$((waited + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    _CONSOLE_PIDS=()
    if [[ -n $_CONSOLE_WORK && ${SMF_CONSOLE_KEEP:-0} == 1 ]]; then
        info "kept $_CONSOLE_WORK (server log, database)"
    elif [[ -n $_CONSOLE_WORK ]]; then
        rm -rf -- "$_CONSOLE_WORK"
    fi
    _CONSOLE_WORK=""
}

# _console_first_line FILE PID NAME: waits up to 60 s for FILE's first line.
_console_first_line() {
    local file=$1 pid=$2 name=$3 waited=0
    while ((waited < 600)); do
        [[ -s $file ]] && { head -n 1 -- "$file"; return 0; }
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
        waited=$((waited + 1))
    done
    warn "$name printed nothing"
    return 1
}

console_browser_run() {
    CONSOLE_COUNTS=""
    if ! _console_browser_ensure; then
        warn "chromium/chromedriver not installed and cannot be installed: the console browser test is SKIPPED"
        CONSOLE_COUNTS="SKIPPED: no chromium"
        return 0
    fi
    _console_selenium_ensure || { warn "pip install selenium==$SMF_SELENIUM_VERSION failed"; return 1; }
    local bin_dir artifacts rc=0 started=$SECONDS
    bin_dir=$(swift build --show-bin-path)
    for product in smflow smflow-testbed smflow-fakes; do
        [[ -x $bin_dir/$product ]] || { warn "$bin_dir/$product is missing: run swift build --build-tests first"; return 1; }
    done
    artifacts=${SMF_CONSOLE_ARTIFACTS:-$PWD/.build/console-browser}
    rm -rf -- "$artifacts"
    mkdir -p -- "$artifacts"
    _CONSOLE_WORK=$(mktemp -d "${TMPDIR:-/tmp}/smflow-console.XXXXXX")
    local work=$_CONSOLE_WORK bot_token email=owner@console.example
    bot_token="$((RANDOM + 100000)):$(openssl rand -hex 20)"
    local environment=(
        PATH="$PATH" HOME="$HOME"
        SMF_DATA_DIR="$work/data"
        SMF_BCRYPT_COST=10
        SMF_ENCRYPTION_KEY="$(openssl rand -hex 32)"
        SMF_PUBLIC_URL=https://smflow.test
    )
    env -i "${environment[@]}" "$bin_dir/smflow" admin create-user --email "$email" --generate-password \
        >"$work/password" 2>"$work/create-user.log" \
        || { warn "smflow admin create-user failed:"; tail -n 5 -- "$work/create-user.log" >&2; console_browser_stop; return 1; }
    chmod 600 "$work/password"

    "$bin_dir/smflow-fakes" --telegram-token "$bot_token" >"$work/fakes.out" 2>"$work/fakes.log" </dev/null &
    _CONSOLE_PIDS+=($!)
    local fake_ports telegram_port proxy_port address=""
    fake_ports=$(_console_first_line "$work/fakes.out" "${_CONSOLE_PIDS[-1]}" smflow-fakes) || { console_browser_stop; return 1; }
    telegram_port=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["telegram"])' "$fake_ports")
    python3 tests/browser/telegram_proxy.py "$work/secret" "http://127.0.0.1:$telegram_port" >"$work/proxy.out" 2>"$work/proxy.log" </dev/null &
    _CONSOLE_PIDS+=($!)
    proxy_port=$(_console_first_line "$work/proxy.out" "${_CONSOLE_PIDS[-1]}" telegram_proxy.py) || { console_browser_stop; return 1; }

    env -i "${environment[@]}" SMF_TELEGRAM_API_URL="http://127.0.0.1:$proxy_port" \
        "$bin_dir/smflow-testbed" serve --with-worker --port 0 >/dev/null 2>"$work/serve.log" </dev/null &
    _CONSOLE_PIDS+=($!)
    local waited=0
    while ((waited < 600)); do
        address=$(grep -o -m1 'address=http://127\.0\.0\.1:[0-9]*' "$work/serve.log" 2>/dev/null || true)
        [[ -n $address ]] && break
        kill -0 "${_CONSOLE_PIDS[-1]}" 2>/dev/null || break
        sleep 0.1
        waited=$((waited + 1))
    done
    [[ -n $address ]] || { warn "smflow-testbed serve did not start; its log:"; tail -n 20 -- "$work/serve.log" >&2; console_browser_stop; return 1; }
    info "server at ${address#address=}, screenshots into $artifacts"

    SMF_CONSOLE_BOT_TOKEN=$bot_token SMF_CONSOLE_SERVER_LOG=$work/serve.log timeout 240 "$(_console_venv)/bin/python" tests/browser/console_test.py \
        "${address#address=}" "$email" "$work/password" "$work/secret" "$artifacts" >"$work/browser.out" 2>&1 || rc=$?
    cat -- "$work/browser.out" >&2
    # The deliberate violation at the end must have reached the report endpoint.
    local reported=0
    for _ in $(seq 1 100); do
        grep -q 'content security policy violation' "$work/serve.log" && { reported=1; break; }
        sleep 0.2
    done
    if ((reported)); then
        info "csp report received: $(grep -m1 'content security policy violation' "$work/serve.log" | cut -c1-300)"
    else
        warn "no CSP violation report reached POST /api/v1/csp-reports"
        rc=1
    fi
    local result
    result=$(sed -n 's/^RESULT //p' "$work/browser.out" | tail -n 1)
    CONSOLE_COUNTS="$(python3 -c 'import json, sys
r = json.loads(sys.argv[1] or "{}")
print("%s checks, %s failed, %s CSP violations" % (r.get("checks", 0), r.get("failed", "?"), r.get("csp_violations", "?")))' "$result"), report endpoint $( ((reported)) && echo ok || echo MISSING), $((SECONDS - started)) s"
    if ((rc != 0)); then
        warn "console browser test failed; the server's log:"
        tail -n 30 -- "$work/serve.log" >&2
    fi
    console_browser_stop
    return "$rc"
}
