#!/usr/bin/env bash
# Starts Debian's PostgreSQL and Redis on loopback for the scale-out tests and a local try of the scale-out roles
# (README, Scaling out): the first PostgreSQL cluster, a `lens` role (password `lens`) that may create databases,
# and redis-server on 127.0.0.1:6379 without persistence. Safe to re-run. Prints the two URLs as shell assignments:
#   eval "$(bash scripts/start-scale-out-services.sh)"
set -euo pipefail

cluster=$(pg_lsclusters --no-header | awk 'NR == 1 { print $1, $2 }')
if [ -z "$cluster" ]; then
  echo "no PostgreSQL cluster (apt-get install postgresql)" >&2
  exit 1
fi
# shellcheck disable=SC2086
pg_ctlcluster --skip-systemctl-redirect $cluster start >&2 2>/dev/null || true
as_postgres() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
for _ in $(seq 1 30); do as_postgres psql -qtAc "SELECT 1" >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(as_postgres psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'lens'")" != "1" ]; then
  as_postgres psql -qc "CREATE ROLE lens LOGIN CREATEDB PASSWORD 'lens'" >&2
  as_postgres psql -qc "CREATE DATABASE lens OWNER lens" >&2
fi
# DROP DATABASE … WITH (FORCE) of a test database ends its other sessions; one without a role of its own (a
# background worker after the heavy scale-out run) needs pg_signal_backend, or the drop fails.
as_postgres psql -qc "GRANT pg_signal_backend TO lens" >/dev/null 2>&1

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >&2
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
fi

echo "POSTGRES_URL=postgresql://lens:lens@127.0.0.1:5432/lens"
echo "REDIS_URL=redis://127.0.0.1:6379"
