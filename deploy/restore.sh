#!/bin/sh
# Restore a backup made by backup.sh into CIRCLES_DATABASE_URL and CIRCLES_MEDIA_DIR.
#
#   CIRCLES_DATABASE_URL=postgresql://user:pass@host:5432/circles \
#   CIRCLES_MEDIA_DIR=/data/media deploy/restore.sh /backups/circles-20261207T120000Z
#
# Checks SHA256SUMS first and changes nothing if a file does not match. Then
# pg_restore --clean --if-exists replaces the database's objects with the backup's, and
# the media files are unpacked into the media directory (existing files of the same name
# are overwritten, others are kept). Stop the replicas and the scheduler first.
# PG_BIN names a directory holding pg_restore; unset → from PATH.
set -eu

fail() { echo "restore: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: restore.sh BACKUP_DIRECTORY"
backup=$1
[ -d "$backup" ] || fail "backup directory '$backup' does not exist"
for name in SHA256SUMS database.dump media.tar; do
    [ -f "$backup/$name" ] || fail "'$backup' has no $name: not a backup made by backup.sh"
done
[ -n "${CIRCLES_DATABASE_URL:-}" ] || fail "CIRCLES_DATABASE_URL is not set"
media=${CIRCLES_MEDIA_DIR:-./media}
pg_restore=${PG_BIN:+$PG_BIN/}pg_restore
command -v "$pg_restore" >/dev/null 2>&1 || fail "pg_restore not found (set PG_BIN to PostgreSQL's bin directory)"

url=$(printf '%s' "$CIRCLES_DATABASE_URL" | sed -E 's#^postgres(ql)?(\+[a-z0-9_]+)?://#postgresql://#')
case $url in
    postgresql://*) ;;
    *) fail "CIRCLES_DATABASE_URL is not a PostgreSQL URL" ;;
esac

if ! (cd "$backup" && sha256sum --check --quiet --strict SHA256SUMS) >/dev/null 2>&1; then
    fail "checksums do not match in '$backup': the backup is damaged; nothing was restored"
fi
"$pg_restore" --list "$backup/database.dump" >/dev/null 2>&1 \
    || fail "'$backup/database.dump' is not a pg_dump archive; nothing was restored"

errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if ! "$pg_restore" --clean --if-exists --no-owner --exit-on-error --single-transaction \
        --dbname="$url" "$backup/database.dump" 2>"$errors"; then
    sed 's/^/restore: /' "$errors" >&2
    fail "pg_restore failed: is the database reachable? nothing was restored"
fi

mkdir -p "$media"
tar -xf "$backup/media.tar" -C "$media"
echo "restored $backup"
