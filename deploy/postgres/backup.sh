#!/bin/sh
# A consistent snapshot of the whole marketplace database (every service's schema, one
# pg_dump transaction) in PostgreSQL's custom format, which pg_restore can restore whole or
# in part (one schema with -n). Usage: backup.sh [directory]; DATABASE_URL names the server.
set -eu
: "${DATABASE_URL:?set DATABASE_URL to an owner or superuser connection}"
directory="${1:-/backups}"
mkdir -p "$directory"
file="$directory/socialcommerce-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --compress=6 --dbname="$DATABASE_URL" --file="$file.partial"
mv "$file.partial" "$file"   # a file with this name is always complete
echo "$file"
