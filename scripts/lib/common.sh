# shellcheck shell=bash
# Small helpers shared by the scripts in scripts/. Source it, don't run it.

# Messages go to stderr so they never mix with output a caller may capture.
log()  { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
warn() { printf '!!! WARNING: %s\n' "$*" >&2; }
die()  { printf '!!! ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ ${EUID:-$(id -u)} -eq 0 ]]; }

# True when CHECK is satisfied: a command name found on PATH, or an absolute
# path / glob (e.g. /usr/lib/postgresql/*/bin/initdb) matching a file.
_have() {
    local check=$1
    if [[ $check == /* ]]; then
        compgen -G "$check" >/dev/null
    else
        command -v "$check" >/dev/null 2>&1
    fi
}

# ensure_debian_packages CHECK:PACKAGE ...
# Installs each PACKAGE whose CHECK (see _have) fails. A fresh clone on a
# fresh machine must work, so we install rather than assume; apt-get update
# runs only when something is actually missing, because it is slow.
ensure_debian_packages() {
    local spec missing=()
    for spec in "$@"; do
        _have "${spec%%:*}" || missing+=("${spec#*:}")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0

    log "installing missing Debian packages: ${missing[*]}"
    is_root || die "not root, cannot apt-get install ${missing[*]}; install them yourself"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install ${missing[*]} yourself"
    apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# pip_venv_install DIR PACKAGE==VERSION ...
# A fresh virtualenv in DIR with exactly these PyPI packages (the test tools:
# checkov, schemathesis, selenium, kubernetes-validate). Callers first check
# whether DIR already holds what they need. On failure DIR is removed, so a
# half-made venv is never mistaken for an installed one; returns 1.
pip_venv_install() {
    local dir=$1
    shift
    log "installing $* into $dir"
    rm -rf -- "$dir"
    if ! python3 -m venv "$dir" 2>/dev/null; then
        # Debian's python3 needs python3-venv for `-m venv`.
        rm -rf -- "$dir"
        ensure_debian_packages '/usr/lib/python3/dist-packages/pip:python3-venv'
        python3 -m venv "$dir" || { rm -rf -- "$dir"; warn "python3 -m venv failed"; return 1; }
    fi
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2 \
        || { rm -rf -- "$dir"; warn "pip install $* failed"; return 1; }
}
