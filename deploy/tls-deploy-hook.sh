#!/bin/sh
# certbot --deploy-hook: copies a new or renewed certificate to deploy/tls/, where nginx reads it
# (readable by nginx's uid 101 only), and reloads nginx. See docs/DEPLOYMENT.md, "Certificates".
set -eu
deploy_dir=$(cd "$(dirname "$0")" && pwd)
: "${RENEWED_LINEAGE:?run by certbot --deploy-hook, which sets RENEWED_LINEAGE}"

install -d -m 0750 -o 101 -g 101 "$deploy_dir/tls"
for file in fullchain.pem chain.pem privkey.pem; do
    install -m 0400 -o 101 -g 101 "$RENEWED_LINEAGE/$file" "$deploy_dir/tls/$file"
done

# Not running yet (first issuance): nginx reads the files when it starts.
cd "$deploy_dir"
docker compose -f docker-compose.prod.yml exec -T nginx nginx -p /var/cache/nginx/ -s reload 2>/dev/null || true
