#!/bin/sh
# Restores a backup.sh dump over the current database in one transaction: either everything
# comes back or nothing changes. Stop the services first (docker compose stop catalog orders
# live fulfillment support webhooks), restore, then start them; consumers resume from their
# committed Kafka offsets and the inbox skips what the restored rows already hold.
# Usage: restore.sh FILE [pg_restore options, e.g. --schema=orders]; DATABASE_URL names the server.
set -eu
: "${DATABASE_URL:?set DATABASE_URL to an owner or superuser connection}"
file="${1:?usage: restore.sh FILE [pg_restore options]}"
shift
pg_restore --clean --if-exists --single-transaction --exit-on-error \
  --dbname="$DATABASE_URL" "$@" "$file"
echo "restored $file"
