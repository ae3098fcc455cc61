# shellcheck shell=bash
# schemathesis (PyPI) against a live server: every operation of the OpenAPI
# document (openapi/smflow.yaml), authenticated, checked for 5xx and for
# responses that break the document. Source it after scripts/lib/common.sh,
# then:
#
#   schemathesis_run    install if needed, start the debug `smflow serve` (built
#                       by `swift build --build-tests`) on 127.0.0.1 with a fresh
#                       SQLite data directory, make an owner, sign in, create an
#                       API key with every scope and one flow, run schemathesis,
#                       stop the server; non-zero on any failure
#   schemathesis_stop   stop that server (idempotent; for the caller's EXIT trap)
#
# What runs:
# - openapi-spec-validator over openapi/smflow.yaml (a valid OpenAPI 3.1 document);
# - schemathesis `run http://127.0.0.1:PORT/api/v1/openapi.json` (the document as
#   the server serves it) with the checks not_a_server_error,
#   status_code_conformance, content_type_conformance,
#   response_headers_conformance, response_schema_conformance, all phases
#   (examples, coverage, fuzzing, stateful), SMF_SCHEMATHESIS_EXAMPLES examples per
#   operation (default 30) and seed SMF_SCHEMATHESIS_SEED (default 1: the same cases
#   every run; set another to explore).
# - Authentication follows each operation's `security`: the API key (bearer) where
#   the operation accepts one, else the session token (bearer). `{workspaceID}` is
#   the owner's workspace and `{flowID}` a real flow, so requests reach the handlers.
# - Four passes, because four operations can end the credentials the run uses:
#   API key revocation, password change (ends every session), sign-out
#   (logout) and sign-out everywhere (logout-all). Pass 1 runs every other
#   operation, with the stateful phase (which could feed the listed key's id
#   to the revocation). Pass 2 runs revocation and password change: generated
#   ids and passwords cannot be the real ones, so the credentials survive.
#   Pass 3 runs logout on a second session, pass 4 logout-all on the first,
#   last. Together they cover every operation; the step fails if any is left
#   untested.
# - The server runs with SMF_RATE_LIMITS raised out of the way (the run sends a
#   few thousand requests in a minute), bcrypt cost 10 (sign-in and
#   registration cases stay fast) and the unusual-usage detector off. Sign-in
#   and registration throttling stay on, so those operations mostly see 429s
#   after their first cases — which the document declares.
#
# SMF_SCHEMATHESIS_KEEP=1 keeps the work directory (server log, reports, database).
#
# Sets SCHEMATHESIS_COUNTS (e.g. "1931 cases, 0 failures; 95 cases, 0 failures")
# for the caller's summary. About 80 s on 2 cores once installed (the first run
# installs schemathesis: about a minute more).

readonly SMF_SCHEMATHESIS_VERSION=4.32.5
readonly SMF_OPENAPI_SPEC_VALIDATOR_VERSION=0.9.0
# Operations that can end the run's own key or sessions (operationIds of the document).
readonly SMF_SCHEMATHESIS_LAST=(revokeAPIKey changePassword logout logoutAll)

SCHEMATHESIS_COUNTS=""
_SCHEMATHESIS_SERVER_PID=""
_SCHEMATHESIS_WORK=""
_SCHEMATHESIS_URL=""
_SCHEMATHESIS_ENV=()

_schemathesis_dir() { printf '%s\n' "${XDG_CACHE_HOME:-$HOME/.cache}/smflow/schemathesis-$SMF_SCHEMATHESIS_VERSION"; }

schemathesis_install() {
    local dir
    dir=$(_schemathesis_dir)
    [[ -x $dir/bin/schemathesis && -x $dir/bin/openapi-spec-validator ]] && return 0
    pip_venv_install "$dir" "schemathesis==$SMF_SCHEMATHESIS_VERSION" \
        "openapi-spec-validator==$SMF_OPENAPI_SPEC_VALIDATOR_VERSION"
}

# Stops the server (SIGTERM, then SIGKILL after 15 s) and removes the work dir.
# shellcheck disable=SC2317  # also called from the caller's EXIT trap
schemathesis_stop() {
    local pid=$_SCHEMATHESIS_SERVER_PID waited=0
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null && ((waited < 150)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    _SCHEMATHESIS_SERVER_PID=""
    if [[ -n $_SCHEMATHESIS_WORK && ${SMF_SCHEMATHESIS_KEEP:-0} == 1 ]]; then
        info "kept $_SCHEMATHESIS_WORK (server log, reports, database)"
    elif [[ -n $_SCHEMATHESIS_WORK ]]; then
        rm -rf -- "$_SCHEMATHESIS_WORK"
    fi
    _SCHEMATHESIS_WORK=""
}

# The server's environment (for `env -i`): nothing inherited but PATH and HOME,
# so a caller's DATABASE_URL or SMF_ENV cannot point the run elsewhere.
_schemathesis_environment() {
    local limit=1000000/1m:burst=1000000
    _SCHEMATHESIS_ENV=(
        PATH="$PATH" HOME="$HOME"
        SMF_DATA_DIR="$_SCHEMATHESIS_WORK/data"
        SMF_BCRYPT_COST=10
        SMF_USAGE_ANOMALY=off
        SMF_RATE_LIMITS="auth=$limit,write=$limit,read=$limit,webhook=$limit"
        # A vault key made for this run only (credentials are stored sealed;
        # without a key their writes answer 503 by design).
        SMF_ENCRYPTION_KEY="$(openssl rand -hex 32)"
    )
}

# Starts `smflow serve --port 0` and sets the base URL from its "listening" line.
_schemathesis_start_server() {
    local bin=$1 log=$_SCHEMATHESIS_WORK/serve.log waited=0 address=""
    # Started directly (not through a function), so $! is the server itself.
    env -i "${_SCHEMATHESIS_ENV[@]}" "$bin" serve --hostname 127.0.0.1 --port 0 >/dev/null 2>"$log" &
    _SCHEMATHESIS_SERVER_PID=$!
    while ((waited < 600)); do
        address=$(grep -o -m1 'address=http://127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null || true)
        [[ -n $address ]] && break
        kill -0 "$_SCHEMATHESIS_SERVER_PID" 2>/dev/null || break
        sleep 0.1
        waited=$((waited + 1))
    done
    if [[ -z $address ]]; then
        warn "smflow serve did not start; its log:"
        tail -n 20 -- "$log" >&2
        return 1
    fi
    _SCHEMATHESIS_URL=${address#address=}
}

# Signs in as the owner twice, creates an API key with every scope and a flow,
# and prints shell assignments (WORKSPACE_ID, FLOW_ID, SESSION_TOKEN,
# SECOND_SESSION_TOKEN, API_KEY).
_schemathesis_fixtures() {
    local python=$1 url=$2 email=$3 password=$4
    SMF_ST_PASSWORD=$password "$python" - "$url" "$email" <<'PYTHON'
import json, os, sys, urllib.request

url, email = sys.argv[1], sys.argv[2]

def call(method, path, body=None, token=None):
    request = urllib.request.Request(url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)

def sign_in():
    return call("POST", "/api/v1/auth/login",
                {"email": email, "password": os.environ["SMF_ST_PASSWORD"], "delivery": "bearer"})["token"]

session, second_session = sign_in(), sign_in()
workspace = call("GET", "/api/v1/auth/me", token=session)["workspaces"][0]["workspace_id"]
scopes = ["workspace:read", "members:read", "flows:read", "flows:write", "executions:read",
          "credentials:write", "security-events:read"]
key = call("POST", f"/api/v1/workspaces/{workspace}/api-keys",
           {"name": "schemathesis", "scopes": scopes}, token=session)["key"]
document = {"nodes": [{"id": "start", "type": "manual", "version": 1, "settings": {}}], "edges": []}
flow = call("POST", f"/api/v1/workspaces/{workspace}/flows",
            {"name": "schemathesis", "document": document}, token=key)["id"]
for name, value in [("WORKSPACE_ID", workspace), ("FLOW_ID", flow), ("SESSION_TOKEN", session),
                    ("SECOND_SESSION_TOKEN", second_session), ("API_KEY", key)]:
    print(f"{name}={value}")
PYTHON
}

# _schemathesis_pass NAME PHASES SESSION FILTER...: one schemathesis run with
# the session token SESSION; FILTER... are --include/--exclude options. Prints
# the whole report; appends "N cases, M failures" to SCHEMATHESIS_COUNTS.
_schemathesis_pass() {
    local name=$1 phases=$2 session=$3 out rc=0 cases failures tested
    shift 3
    out=$_SCHEMATHESIS_WORK/$name.txt
    log "schemathesis, $name"
    # Run inside the work dir: schemathesis keeps nothing in the repository.
    (cd "$_SCHEMATHESIS_WORK" && ST_API_KEY=$API_KEY ST_SESSION=$session \
        "$(_schemathesis_dir)/bin/schemathesis" --config-file "$_SCHEMATHESIS_WORK/schemathesis.toml" \
        run "$_SCHEMATHESIS_URL/api/v1/openapi.json" --url "$_SCHEMATHESIS_URL" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
        --phases "$phases" --max-examples "${SMF_SCHEMATHESIS_EXAMPLES:-30}" --seed "${SMF_SCHEMATHESIS_SEED:-1}" \
        --generation-database none --request-timeout 30 --no-color "$@") >"$out" 2>&1 || rc=$?
    cat -- "$out" >&2
    # The counts and the closing line, e.g. "==== 2 warnings in 44.91s ====".
    cases=$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$out" | tail -n 1)
    failures=$(sed -n 's/.* \([0-9][0-9]*\) unique failures.*/\1/p' "$out" | tail -n 1)
    info "schemathesis $name: $(grep -E '^ *[0-9]+ generated' "$out" | tail -n 1 | sed 's/^ *//')"
    info "schemathesis $name: $(grep -E '^=+ .* in [0-9.]+s =+$' "$out" | tail -n 1 | sed 's/^=* *//; s/ *=*$//')"
    SCHEMATHESIS_COUNTS+="${SCHEMATHESIS_COUNTS:+; }${name%% (*}: ${cases:-?} cases, ${failures:-0} failures"
    tested=$(sed -n 's/^ *Tested: \([0-9][0-9]*\).*/\1/p' "$out" | tail -n 1)
    _SCHEMATHESIS_TESTED=$((_SCHEMATHESIS_TESTED + ${tested:-0}))
    _SCHEMATHESIS_TOTAL=$(sed -n 's/^ *Selected: [0-9][0-9]*\/\([0-9][0-9]*\).*/\1/p' "$out" | tail -n 1)
    _SCHEMATHESIS_TOTAL=${_SCHEMATHESIS_TOTAL:-0}
    return "$rc"
}

schemathesis_run() {
    schemathesis_install || return 1
    local dir bin password rc=0 operation first_filters=() started=$SECONDS
    dir=$(_schemathesis_dir)
    SCHEMATHESIS_COUNTS=""
    _SCHEMATHESIS_TESTED=0
    _SCHEMATHESIS_TOTAL=0

    log "openapi-spec-validator over openapi/smflow.yaml"
    "$dir/bin/openapi-spec-validator" openapi/smflow.yaml >&2 || return 1

    bin="$(swift build --show-bin-path)/smflow"
    [[ -x $bin ]] || { warn "$bin is missing: run swift build first"; return 1; }
    _SCHEMATHESIS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/smflow-schemathesis.XXXXXX")
    local email=owner@schemathesis.example
    _schemathesis_environment
    password=$(env -i "${_SCHEMATHESIS_ENV[@]}" "$bin" admin create-user --email "$email" --generate-password \
        2>"$_SCHEMATHESIS_WORK/create-user.log") \
        || { warn "smflow admin create-user failed:"; tail -n 5 -- "$_SCHEMATHESIS_WORK/create-user.log" >&2
             schemathesis_stop; return 1; }
    _schemathesis_start_server "$bin" || { schemathesis_stop; return 1; }
    info "server at $_SCHEMATHESIS_URL (pid $_SCHEMATHESIS_SERVER_PID), data in $_SCHEMATHESIS_WORK/data"

    local fixtures
    fixtures=$(_schemathesis_fixtures "$dir/bin/python" "$_SCHEMATHESIS_URL" "$email" "$password") \
        || { warn "signing in and creating the API key and flow failed"; schemathesis_stop; return 1; }
    local WORKSPACE_ID FLOW_ID SESSION_TOKEN SECOND_SESSION_TOKEN API_KEY
    WORKSPACE_ID=$(sed -n 's/^WORKSPACE_ID=//p' <<<"$fixtures")
    FLOW_ID=$(sed -n 's/^FLOW_ID=//p' <<<"$fixtures")
    SESSION_TOKEN=$(sed -n 's/^SESSION_TOKEN=//p' <<<"$fixtures")
    SECOND_SESSION_TOKEN=$(sed -n 's/^SECOND_SESSION_TOKEN=//p' <<<"$fixtures")
    API_KEY=$(sed -n 's/^API_KEY=//p' <<<"$fixtures")

    # Credentials come from the environment (ST_API_KEY, ST_SESSION), never the file.
    cat >"$_SCHEMATHESIS_WORK/schemathesis.toml" <<EOF
[auth.openapi.apiKey]
bearer = "\${ST_API_KEY}"

[auth.openapi.sessionToken]
bearer = "\${ST_SESSION}"

[parameters]
"path.workspaceID" = "$WORKSPACE_ID"
"path.flowID" = "$FLOW_ID"
EOF

    for operation in "${SMF_SCHEMATHESIS_LAST[@]}"; do
        first_filters+=(--exclude-operation-id "$operation")
    done
    local later=examples,coverage,fuzzing
    _schemathesis_pass "pass 1 (all but ${SMF_SCHEMATHESIS_LAST[*]})" "$later,stateful" "$SESSION_TOKEN" \
        "${first_filters[@]}" || rc=1
    _schemathesis_pass "pass 2 (revokeAPIKey changePassword)" "$later" "$SESSION_TOKEN" \
        --include-operation-id revokeAPIKey --include-operation-id changePassword || rc=1
    _schemathesis_pass "pass 3 (logout, second session)" "$later" "$SECOND_SESSION_TOKEN" \
        --include-operation-id logout || rc=1
    _schemathesis_pass "pass 4 (logoutAll)" "$later" "$SESSION_TOKEN" --include-operation-id logoutAll || rc=1

    if ((_SCHEMATHESIS_TOTAL == 0 || _SCHEMATHESIS_TESTED != _SCHEMATHESIS_TOTAL)); then
        warn "schemathesis tested $_SCHEMATHESIS_TESTED of $_SCHEMATHESIS_TOTAL operations"
        rc=1
    fi
    if ((rc != 0)); then
        warn "schemathesis found problems (reports above); the server's log:"
        tail -n 40 -- "$_SCHEMATHESIS_WORK/serve.log" >&2
    fi
    info "schemathesis: $_SCHEMATHESIS_TESTED of $_SCHEMATHESIS_TOTAL operations in $((SECONDS - started)) s"
    schemathesis_stop
    return "$rc"
}
