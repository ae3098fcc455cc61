# shellcheck shell=bash
# nginx, openssl and curl for the deployment tests (Tests/DeploymentTests),
# which start the shipped nginx configuration on loopback. Source it after
# scripts/lib/common.sh, then:
#
#   nginx_ensure    installs nginx-light, openssl and curl when missing (apt, root)
#   nginx_export    exports their paths and SMF_TEST_REQUIRE_DEPLOY=1, so a
#                   missing program fails those tests instead of disabling them;
#                   returns non-zero (exporting nothing) when one is missing
#
# Exports: SMF_TEST_NGINX, SMF_TEST_OPENSSL, SMF_TEST_CURL, SMF_TEST_REQUIRE_DEPLOY.

nginx_ensure() {
    # nginx lives in /usr/sbin, which is not on every PATH: check the file.
    ensure_debian_packages '/usr/sbin/nginx:nginx-light' openssl:openssl curl:curl
}

# Prints the path of program NAME, looking in the sbin directories too.
_nginx_find() {
    local name=$1 dir
    command -v "$name" 2>/dev/null && return 0
    for dir in /usr/local/sbin /usr/sbin /sbin; do
        [[ -x $dir/$name ]] && { printf '%s\n' "$dir/$name"; return 0; }
    done
    return 1
}

nginx_export() {
    local nginx openssl curl
    nginx=$(_nginx_find nginx) || { warn "nginx not found"; return 1; }
    openssl=$(_nginx_find openssl) || { warn "openssl not found"; return 1; }
    curl=$(_nginx_find curl) || { warn "curl not found"; return 1; }
    export SMF_TEST_NGINX=$nginx SMF_TEST_OPENSSL=$openssl SMF_TEST_CURL=$curl
    export SMF_TEST_REQUIRE_DEPLOY=1
    info "deployment tests use $("$nginx" -v 2>&1 | sed 's/^nginx version: //') ($nginx), $("$openssl" version | cut -d' ' -f1-2)"
}
