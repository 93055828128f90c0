#!/usr/bin/env bash
# Writes the secret files docker-compose.yml mounts under /run/secrets (one value per file, no trailing newline).
# Existing files are kept, so running it again never rotates a key by accident. Needs bash and openssl.
#
#   deploy/compose/make-secrets.sh [DIR]          (default: deploy/compose/secrets)
#   WECHAT_SECRET=… deploy/compose/make-secrets.sh (the mini-program's AppSecret; otherwise a placeholder)
#
# The hotline and emergency-transport webhook secrets are generated here and must be given to those senders;
# gateway_jwks should list your identity provider's public keys (the gateway adds its own signing key).
set -euo pipefail
dir="${1:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
chmod 700 "$dir"
umask 022  # files readable by the unprivileged container user; the directory keeps other host users out

put() {  # put NAME VALUE — writes once
  local file="$dir/$1"
  if [[ -s "$file" ]]; then echo "kept    $1"; return; fi
  printf '%s' "$2" > "$file"
  echo "written $1"
}

rand() { openssl rand -base64 "$1" | tr -d '\n=+/' | cut -c1-"$2"; }

pg_password="$(cat "$dir/postgres_password" 2>/dev/null || rand 48 40)"
put postgres_password "$pg_password"
put database_url "postgresql://alliance:${pg_password}@postgres:5432/alliance"
put internal_auth_key "$(rand 48 48)"
put pseudonym_key "$(rand 48 48)"
put resident_id_key "$(rand 48 48)"
put referral_patient_key "$(openssl rand -base64 32 | tr -d '\n')"
put referral_webhook_secrets "{\"hotline\": [\"whsec_$(openssl rand -base64 32 | tr -d '\n')\"], \"emergency\": [\"whsec_$(openssl rand -base64 32 | tr -d '\n')\"]}"
put points_signing_key "$(openssl genpkey -algorithm ed25519)"
put gateway_signing_key "$(openssl genpkey -algorithm ed25519)"
put gateway_jwks '{"keys": []}'
put wechat_secret "${WECHAT_SECRET:-set-the-mini-program-appsecret-here}"
put grafana_admin_password "$(rand 24 20)"
