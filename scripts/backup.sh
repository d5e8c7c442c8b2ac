#!/usr/bin/env bash
# Backup of the database (pg_dump custom format) and the uploaded materials (rsync hard-link snapshots).
# Usage: scripts/backup.sh DEST_DIR   (reads DATABASE_URL and MEDIA_ROOT from the environment)
# Restore: pg_restore --clean --if-exists -d "$DATABASE_URL" DEST/db-STAMP.dump
#          rsync -a DEST/media-STAMP/ "$MEDIA_ROOT"/
set -euo pipefail
dest="${1:?usage: backup.sh DEST_DIR}"
: "${DATABASE_URL:?DATABASE_URL is not set}"
: "${MEDIA_ROOT:?MEDIA_ROOT is not set}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
umask 077  # the dump holds personal data: only the service account reads it

pg_dump --format=custom --compress=6 --no-owner --file "$dest/db-$stamp.dump.part" "$DATABASE_URL"
mv "$dest/db-$stamp.dump.part" "$dest/db-$stamp.dump"
pg_restore --list "$dest/db-$stamp.dump" >/dev/null  # the dump is readable

latest="$(ls -1d "$dest"/media-* 2>/dev/null | tail -n 1 || true)"
rsync -a --delete ${latest:+--link-dest="$latest"} "$MEDIA_ROOT"/ "$dest/media-$stamp.part"/
mv "$dest/media-$stamp.part" "$dest/media-$stamp"

find "$dest" -maxdepth 1 -name 'db-*.dump' -mtime +"$keep_days" -delete
find "$dest" -maxdepth 1 -name 'media-*' -type d -mtime +"$keep_days" -exec rm -rf {} +
echo "backup $stamp: $(du -sh "$dest/db-$stamp.dump" | cut -f1) database, media in $dest/media-$stamp"
