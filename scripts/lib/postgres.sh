# shellcheck shell=bash
# A throwaway PostgreSQL server for tests and benchmarks.
# Source it (after scripts/lib/common.sh), then:
#
#   trap pg_stop EXIT     # or call pg_stop from your own cleanup
#   pg_start              # exports the SMF_TEST_* variables below
#   ...
#   pg_stop               # safe to call twice, or after a failed pg_start
#
# pg_start exports:
#   SMF_TEST_DATABASE_URL  postgres://smflow_test:PW@127.0.0.1:PORT/smflow_test
#                          (LOGIN, not a superuser, owns database smflow_test)
#   SMF_TEST_PG_ADMIN_URL  postgres://smf_admin:PW@127.0.0.1:PORT/postgres
#                          (the superuser, for tests that must create or drop)
#   SMF_TEST_PG_BIN        the PostgreSQL bin dir (psql, pg_dump, ...)
# and sets, for the calling script only: SMF_PG_PORT, SMF_PG_MAJOR, SMF_PG_LOG.
#
# Passwords are generated per run and never printed. Everything the server
# writes lives in one mktemp dir that pg_stop removes.

SMF_PG_DIR=""      # temp dir: data/, sock/, server.log, initdb.log
SMF_PG_OWNER=""    # unprivileged user that runs the server when we are root
SMF_PG_PORT=""
SMF_PG_MAJOR=""
SMF_PG_LOG=""
_SMF_PG_ADMIN_PW=""

readonly _SMF_PG_ADMIN_USER=smf_admin
readonly _SMF_PG_APP_USER=smflow_test
readonly _SMF_PG_APP_DB=smflow_test
readonly _SMF_PG_READY_SECONDS=20

# Highest-versioned bin dir under /usr/lib/postgresql that has an initdb.
# Debian installs major versions side by side and keeps initdb/pg_ctl off
# PATH. sort -V so that 15 beats 9.6.
pg_find_bin_dir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb ]] && printf '%s\n' "$d"
    done | sort -V | tail -n 1 | grep .
}

# Run a command as the server's owner. initdb and postgres refuse to run as
# root, so as root we drop to "nobody" (always present, needs no useradd).
# cd into the temp dir first: the caller's cwd (e.g. a clone under /root)
# may not be readable by that user, and initdb/pg_ctl check their cwd.
_pg_as_owner() {
    (
        cd "$SMF_PG_DIR" || exit
        if is_root; then
            runuser -u "$SMF_PG_OWNER" -- "$@"
        else
            "$@"
        fi
    )
}

# A free TCP port on 127.0.0.1. Binding port 0 lets the kernel choose; the
# port could be taken again before postgres binds it, so pg_start retries.
_pg_pick_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
        2>/dev/null && return 0
    # Without python3: a random high port that nothing answers on.
    local port _
    for _ in {1..50}; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# psql as the superuser over TCP, so the scram-sha-256 path is exercised.
# The password travels in the environment, not in argv (visible in ps).
# Extra arguments go to psql (e.g. -c SQL), for scripts that reuse this.
# shellcheck disable=SC2120
pg_admin_psql() {
    PGPASSWORD=$_SMF_PG_ADMIN_PW "$SMF_TEST_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$SMF_PG_PORT" -U "$_SMF_PG_ADMIN_USER" -d postgres "$@"
}

# Print the last N (default 50) lines of the server log, if there is one.
pg_log_tail() {
    local lines=${1:-50}
    [[ -n $SMF_PG_LOG && -f $SMF_PG_LOG ]] || return 0
    printf -- '----- last %s lines of the PostgreSQL server log (%s) -----\n' "$lines" "$SMF_PG_LOG" >&2
    tail -n "$lines" -- "$SMF_PG_LOG" >&2
    printf -- '----- end of server log -----\n' >&2
}

_pg_make_temp_dir() {
    SMF_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/smflow-pg.XXXXXX")
    SMF_PG_LOG=$SMF_PG_DIR/server.log
    if is_root; then
        SMF_PG_OWNER=nobody
        chown "$SMF_PG_OWNER:" "$SMF_PG_DIR"
        _pg_as_owner test -w "$SMF_PG_DIR" \
            || die "user $SMF_PG_OWNER cannot write $SMF_PG_DIR (is TMPDIR=${TMPDIR:-} private? try TMPDIR=/tmp)"
    fi
    _pg_as_owner mkdir -m 700 "$SMF_PG_DIR/sock"
    # The server (not root) appends to the log, so its owner must create it.
    _pg_as_owner touch "$SMF_PG_LOG"
}

# initdb with a superuser whose password comes from a file that exists only
# for the duration of the call.
_pg_initdb() {
    local pwfile=$SMF_PG_DIR/admin.pw
    (umask 077; printf '%s\n' "$_SMF_PG_ADMIN_PW" >"$pwfile")
    if is_root; then chown "$SMF_PG_OWNER:" "$pwfile"; fi
    if ! _pg_as_owner "$SMF_TEST_PG_BIN/initdb" -D "$SMF_PG_DIR/data" \
            -U "$_SMF_PG_ADMIN_USER" --pwfile="$pwfile" \
            --auth-host=scram-sha-256 --auth-local=scram-sha-256 \
            --encoding=UTF8 --no-locale --no-sync >"$SMF_PG_DIR/initdb.log" 2>&1; then
        rm -f -- "$pwfile"
        tail -n 50 -- "$SMF_PG_DIR/initdb.log" >&2
        die "initdb failed"
    fi
    rm -f -- "$pwfile"

    # Only loopback; the socket stays in our private dir. Durability is
    # pointless for a throwaway server, and turning it off speeds tests up.
    _pg_as_owner tee -a "$SMF_PG_DIR/data/postgresql.conf" >/dev/null <<EOF

# --- smflow throwaway test server (scripts/lib/postgres.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SMF_PG_DIR/sock'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

# Start the server on a fresh port; retry a few times in case another process
# grabbed the port between _pg_pick_port and postgres binding it.
_pg_launch() {
    local attempt seen
    for attempt in 1 2 3; do
        SMF_PG_PORT=$(_pg_pick_port) || die "could not find a free TCP port"
        seen=$(wc -l <"$SMF_PG_LOG")
        if _pg_as_owner "$SMF_TEST_PG_BIN/pg_ctl" -D "$SMF_PG_DIR/data" -l "$SMF_PG_LOG" \
                -o "-p $SMF_PG_PORT" -w -t "$_SMF_PG_READY_SECONDS" start >/dev/null; then
            return 0
        fi
        # pg_ctl -l appends, so look only at what this attempt logged.
        tail -n "+$((seen + 1))" "$SMF_PG_LOG" 2>/dev/null \
            | grep -q 'could not bind\|already in use' || break
        warn "port $SMF_PG_PORT was taken (attempt $attempt), trying another"
    done
    pg_log_tail 50
    die "PostgreSQL did not start"
}

# pg_ctl -w waits for the unix socket; also wait until TCP on 127.0.0.1
# accepts connections, since that is what the tests use.
_pg_wait_ready() {
    local deadline=$((SECONDS + _SMF_PG_READY_SECONDS))
    until "$SMF_TEST_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$SMF_PG_PORT" -t 2; do
        if ((SECONDS >= deadline)); then
            pg_log_tail 50
            die "PostgreSQL not ready on 127.0.0.1:$SMF_PG_PORT after ${_SMF_PG_READY_SECONDS}s"
        fi
        sleep 0.5
    done
}

# The application role is deliberately not a superuser, so tests see the
# permissions production will have. The SQL goes through stdin to keep the
# password out of argv; it contains only [A-Za-z0-9-], so quoting is safe.
_pg_create_app_db() {
    local app_pw=$1
    pg_admin_psql <<EOF || { pg_log_tail 50; die "could not create role/database $_SMF_PG_APP_DB"; }
CREATE ROLE $_SMF_PG_APP_USER LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$app_pw';
CREATE DATABASE $_SMF_PG_APP_DB OWNER $_SMF_PG_APP_USER;
EOF
}

pg_start() {
    [[ -z $SMF_PG_DIR ]] || die "pg_start: a server is already running in $SMF_PG_DIR"
    SMF_TEST_PG_BIN=$(pg_find_bin_dir) \
        || die "no PostgreSQL found under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    SMF_PG_MAJOR=$(basename "$(dirname "$SMF_TEST_PG_BIN")")

    # Fresh secrets per run. Hex needs no escaping anywhere; the app password
    # also carries upper, lower, digit and a URL-safe symbol ('-') so that
    # password handling in the app is not only tested with hex.
    _SMF_PG_ADMIN_PW=$(openssl rand -hex 24)
    local app_pw
    app_pw="Aa1-$(openssl rand -hex 20)"

    _pg_make_temp_dir
    _pg_initdb
    _pg_launch
    _pg_wait_ready
    _pg_create_app_db "$app_pw"

    export SMF_TEST_PG_BIN
    export SMF_TEST_DATABASE_URL="postgres://$_SMF_PG_APP_USER:$app_pw@127.0.0.1:$SMF_PG_PORT/$_SMF_PG_APP_DB"
    export SMF_TEST_PG_ADMIN_URL="postgres://$_SMF_PG_ADMIN_USER:$_SMF_PG_ADMIN_PW@127.0.0.1:$SMF_PG_PORT/postgres"
    info "PostgreSQL $SMF_PG_MAJOR running on 127.0.0.1:$SMF_PG_PORT (data and log in $SMF_PG_DIR)"
}

# Stop the server and delete its dir. Idempotent, and copes with a pg_start
# that died half-way (no dir, no data dir, or a server that never came up).
pg_stop() {
    local dir=$SMF_PG_DIR
    unset SMF_TEST_DATABASE_URL SMF_TEST_PG_ADMIN_URL
    [[ -n $dir ]] || return 0

    local pidfile=$dir/data/postmaster.pid
    if [[ -f $pidfile ]]; then
        if ! _pg_as_owner "$SMF_TEST_PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1; then
            # Last resort: kill exactly the postmaster we started (first line
            # of its pid file), and only if that pid is still a postgres.
            local pid
            pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
            if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]]; then
                warn "pg_ctl stop failed; killing postmaster $pid"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        fi
    fi

    # Guard the rm -rf: only ever delete a dir that mktemp made for us.
    [[ $dir == */smflow-pg.* ]] && rm -rf -- "$dir"
    SMF_PG_DIR="" SMF_PG_LOG="" SMF_PG_PORT="" _SMF_PG_ADMIN_PW=""
    return 0
}
