#!/usr/bin/env bash
# Writes every secret the compose stack reads into deploy/secrets/ (run once, as root, on the
# host, from deploy/). Existing files are kept, so running it again changes nothing; delete a
# file to rotate that secret (docs/DEPLOYMENT.md, "Rotating secrets").
#
# Each file is mode 0400 and owned by the uid of the only container that reads it: compose
# bind-mounts secret files with their host owner and mode.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

readonly APP_UID=10001 POSTGRES_UID=999
: "${SMF_DB_NAME:=smflow}" "${SMF_DB_OWNER_ROLE:=smflow_owner}" "${SMF_DB_APP_ROLE:=smflow_app}"

umask 077
mkdir -p secrets
chmod 0700 secrets

# A database password the production guardrails accept: 48 random hex characters (192 bits)
# after a fixed prefix that supplies the upper case, digit and (URL-safe) symbol they require.
db_password() { printf 'Pw1-%s' "$(openssl rand -hex 24)"; }

# write NAME OWNER_UID VALUE: create secrets/NAME unless it exists.
write() {
    local owner=$2 value=$3 path=secrets/$1
    if [[ -e $path ]]; then
        echo "kept    $path"
        return
    fi
    printf '%s\n' "$value" >"$path"
    chown "$owner:$owner" "$path"
    chmod 0400 "$path"
    echo "created $path"
}

read_back() { tr -d '\n' <"secrets/$1"; }

write smf_secret_key "$APP_UID" "$(openssl rand -hex 32)"
write smf_encryption_key "$APP_UID" "$(openssl rand -hex 32)"
# Backups (issue 9): keep a copy of this one outside the host, or no backup can be restored.
write smf_backup_key "$APP_UID" "$(openssl rand -hex 32)"
write pg_superuser_password "$POSTGRES_UID" "$(db_password)"
write pg_owner_password "$POSTGRES_UID" "$(db_password)"
write pg_app_password "$POSTGRES_UID" "$(db_password)"
write smf_owner_database_url "$APP_UID" \
    "postgres://$SMF_DB_OWNER_ROLE:$(read_back pg_owner_password)@postgres:5432/$SMF_DB_NAME"
write smf_app_database_url "$APP_UID" \
    "postgres://$SMF_DB_APP_ROLE:$(read_back pg_app_password)@postgres:5432/$SMF_DB_NAME"
