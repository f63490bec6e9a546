#!/usr/bin/env bash
# Make a PostgreSQL server answer on 127.0.0.1:5432 for the storage tests, with a role bgtasks
# (password bgtasks, CREATEDB so tests can make throwaway databases) owning database bgtasks_test.
# Uses Debian's postgresql-common tools (pg_lsclusters, pg_createcluster, pg_ctlcluster), no systemd.
# The last line printed is the SQLAlchemy URL of that database.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PORT=${BGTASKS_PG_PORT:-5432}   # another port only when 5432 is taken by something else
ROLE=bgtasks
PASSWORD=bgtasks
DATABASE=bgtasks_test
URL=postgresql+psycopg2://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE
WAIT_SECONDS=30

server_answers() { pg_isready -q -h 127.0.0.1 -p "$PORT"; }

as_postgres() {
    # From /: the postgres user may not be allowed into the current directory (psql warns).
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}

# psql as the postgres superuser over the local socket; -tA prints bare values.
superuser_psql() { as_postgres psql -X -q -tA -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }

# The Debian cluster on our port as "VERSION NAME STATUS", empty when there is none.
cluster_on_port() {
    pg_lsclusters -h 2>/dev/null | awk -v port="$PORT" '$3 == port { print $1, $2, $4; exit }'
}

start_server() {
    local cluster version name status log i out
    if ! command -v pg_lsclusters >/dev/null || [ ! -d /usr/lib/postgresql ]; then
        APT_INSTALL_OPTS=--no-install-recommends ensure_packages postgresql
    fi
    cluster=$(cluster_on_port)
    if [ -z "$cluster" ]; then
        version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
        name=main
        if pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
            name=bgtasks
        fi
        say "creating PostgreSQL $version cluster '$name' on port $PORT"
        as_root pg_createcluster --port "$PORT" "$version" "$name" >/dev/null \
            || die "pg_createcluster $version $name failed"
        cluster="$version $name down"
    fi
    read -r version name status <<<"$cluster"
    # Without systemd nothing creates the socket directory at boot.
    if [ ! -d /var/run/postgresql ]; then
        as_root install -d -m 2775 -o postgres -g postgres /var/run/postgresql
    fi
    if [ "${status%%,*}" != online ]; then
        say "starting PostgreSQL cluster $version/$name"
        log=$(pg_lsclusters -h | awk -v v="$version" -v n="$name" '$1 == v && $2 == n { print $7 }')
        # Right after a crash the old postmaster's lock may linger a moment: try a few times.
        for i in 1 2 3; do
            out=$(as_root pg_ctlcluster "$version" "$name" start 2>&1) && break
            [ "$i" -lt 3 ] || { printf '%s\n' "$out" | tail -n 5 >&2; die "pg_ctlcluster $version $name start failed (log: $log)"; }
            sleep 1
        done
    fi
    for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
        server_answers && return 0
        sleep 0.2
    done
    die "PostgreSQL does not answer on 127.0.0.1:$PORT after ${WAIT_SECONDS}s (cluster $version/$name)"
}

ensure_role_and_database() {
    superuser_psql <<SQL || die "cannot create role $ROLE as the postgres superuser"
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
    ELSE
        ALTER ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD';
    END IF;
END
\$\$;
SQL
    if [ -z "$(superuser_psql -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" ]; then
        say "creating database $DATABASE owned by $ROLE"
        superuser_psql -c "CREATE DATABASE $DATABASE OWNER $ROLE" || die "cannot create database $DATABASE"
    fi
    # What the tests do: log in over TCP with the password.
    PGPASSWORD=$PASSWORD psql -X -q -tA -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d "$DATABASE" -c 'SELECT 1' \
        >/dev/null || die "$ROLE cannot log in to $DATABASE on 127.0.0.1:$PORT with its password"
}

if server_answers; then
    say "PostgreSQL answers on 127.0.0.1:$PORT"
else
    start_server
    say "PostgreSQL answers on 127.0.0.1:$PORT"
fi
ensure_role_and_database
echo "$URL"
