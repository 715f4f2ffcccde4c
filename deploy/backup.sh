#!/bin/sh
# Back up Learning Circles: the PostgreSQL database and the media directory.
#
#   CIRCLES_DATABASE_URL=postgresql://user:pass@host:5432/circles \
#   CIRCLES_MEDIA_DIR=/data/media deploy/backup.sh /backups
#
# Writes /backups/circles-YYYYmmddTHHMMSSZ/ with database.dump (pg_dump --format=custom),
# media.tar and SHA256SUMS. PG_BIN names a directory holding pg_dump (its major version
# must match the server's); unset → pg_dump from PATH. The URL's password is handed to
# pg_dump in its environment, never printed.
set -eu

fail() { echo "backup: $*" >&2; exit 1; }

[ $# -eq 1 ] || fail "usage: backup.sh TARGET_DIRECTORY"
target=$1
[ -d "$target" ] || fail "target directory '$target' does not exist"
[ -n "${CIRCLES_DATABASE_URL:-}" ] || fail "CIRCLES_DATABASE_URL is not set"
media=${CIRCLES_MEDIA_DIR:-./media}
pg_dump=${PG_BIN:+$PG_BIN/}pg_dump
command -v "$pg_dump" >/dev/null 2>&1 || fail "pg_dump not found (set PG_BIN to PostgreSQL's bin directory)"

# libpq takes postgresql:// URLs; SQLAlchemy's driver suffix (+asyncpg) is dropped.
url=$(printf '%s' "$CIRCLES_DATABASE_URL" | sed -E 's#^postgres(ql)?(\+[a-z0-9_]+)?://#postgresql://#')
case $url in
    postgresql://*) ;;
    *) fail "CIRCLES_DATABASE_URL is not a PostgreSQL URL (back up a SQLite file by copying it)" ;;
esac

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$target/circles-$stamp
[ ! -e "$out" ] || fail "'$out' already exists"
mkdir "$out"
trap 'rm -rf "$out"' EXIT

if ! "$pg_dump" --format=custom --no-owner --file="$out/database.dump" --dbname="$url" 2>"$out/pg_dump.err"; then
    # libpq's messages name the host and database, not the password.
    sed 's/^/backup: /' "$out/pg_dump.err" >&2
    fail "pg_dump failed: is the database reachable?"
fi
rm -f "$out/pg_dump.err"

if [ -d "$media" ]; then
    tar -cf "$out/media.tar" -C "$media" .
else
    echo "backup: media directory '$media' does not exist; backing up no media" >&2
    tar -cf "$out/media.tar" -T /dev/null
fi

(cd "$out" && sha256sum database.dump media.tar > SHA256SUMS)
trap - EXIT
echo "$out"
