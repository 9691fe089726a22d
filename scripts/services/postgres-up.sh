#!/usr/bin/env bash
# A PostgreSQL server of the tests' own (never the machine's cluster) on 127.0.0.1:${PG_PORT:-5433},
# with a database `ferry` that user `ferry` (password `ferry`) owns. Idempotent: installs
# PostgreSQL if missing, starts the server unless it answers. The data directory, log and pid
# are in $FERRY_SERVICES_DIR (default /tmp/ferry-services)/postgres; PostgreSQL will not run as
# root, so the server runs as the `postgres` user the package creates.
#
#   FERRY_TEST_POSTGRES=postgres://ferry:ferry@127.0.0.1:5433/ferry
set -euo pipefail
state=${FERRY_SERVICES_DIR:-/tmp/ferry-services}
port=${PG_PORT:-5433}
data="$state/postgres/data"
mkdir -p "$state/postgres"
bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1 || true)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql > /dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
as_pg() { runuser -u postgres -- "$@"; }
up() { as_pg "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" 2> /dev/null; }
chown postgres "$state/postgres"
if ! up; then
  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data"
    as_pg "$bin/initdb" -D "$data" -A trust -U postgres > "$state/postgres/initdb.log"
  fi
  # A server that died leaves its pid file: pg_ctl checks whether that pid is still a postmaster.
  as_pg "$bin/pg_ctl" -D "$data" -l "$state/postgres/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state/postgres" start > /dev/null
fi
up || { echo "postgres-up: the server did not start; see $state/postgres/server.log" >&2; exit 1; }
psql_pg() { as_pg psql -q -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"; }
if [[ -z "$(psql_pg -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'ferry'")" ]]; then
  psql_pg -c "CREATE ROLE ferry LOGIN PASSWORD 'ferry'"
fi
if [[ -z "$(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = 'ferry'")" ]]; then
  psql_pg -c "CREATE DATABASE ferry OWNER ferry"
fi
# TLS offered (not required) with a certificate for 127.0.0.1 and localhost signed by a CA of the
# tests' own: the server's TLS test trusts $state/postgres/tls/ca.crt. Changed by a reload, so a
# server started by an earlier version of this script gets it too.
tls="$state/postgres/tls"
if [[ ! -s "$tls/ca.crt" || ! -s "$tls/server.crt" || ! -s "$tls/server.key" ]]; then
  mkdir -p "$tls"
  fresh=1
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ferry tests CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.crt" 2> /dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2> /dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > "$tls/ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tls/ext" -out "$tls/server.crt" 2> /dev/null
fi
chown postgres "$tls/server.key" "$tls/server.crt"
chmod 600 "$tls/server.key"
chmod 755 "$tls"
if [[ -n "${fresh:-}" || "$(psql_pg -tAc "SHOW ssl")" != on ]]; then
  psql_pg -c "ALTER SYSTEM SET ssl_cert_file = '$tls/server.crt'" \
    -c "ALTER SYSTEM SET ssl_key_file = '$tls/server.key'" -c "ALTER SYSTEM SET ssl = on" \
    -c "SELECT pg_reload_conf()" > /dev/null
  for _ in $(seq 50); do
    [[ "$(psql_pg -tAc "SHOW ssl")" == on ]] && break
    sleep 0.1
  done
  [[ "$(psql_pg -tAc "SHOW ssl")" == on ]] \
    || { echo "postgres-up: TLS did not come on; see $state/postgres/server.log" >&2; exit 1; }
fi
echo "postgres://ferry:ferry@127.0.0.1:$port/ferry"
