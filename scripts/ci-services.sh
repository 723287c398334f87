#!/usr/bin/env bash
# CI only: install PostgreSQL, Redis and nginx from Debian's packages and start PostgreSQL, so that the
# storage tests also run against it and tests/test_scale_out.py can start its replicas, Redis and
# nginx (SPINEBOT_TEST_POSTGRES_URL). Prints the URL to use on success; on any failure prints why and
# nothing else, and CI runs the SQLite tests alone (the skips are then visible in pytest's summary).
set -uo pipefail
{
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1 \
      || ! { command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; }; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server nginx-light >/dev/null
    # the packages start their own services on the default ports: the tests start their own on free ports
    service redis-server stop >/dev/null 2>&1 || true
    service nginx stop >/dev/null 2>&1 || true
  fi
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_ctlcluster "$version" main start 2>/dev/null || service postgresql start
  for _ in $(seq 1 20); do su postgres -c "pg_isready -q" && break; sleep 1; done
  su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='spinebot'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE USER spinebot WITH PASSWORD 'spinebot'\""
  su postgres -c "psql -qtc \"SELECT 1 FROM pg_database WHERE datname='spinebot_test'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE DATABASE spinebot_test OWNER spinebot\""
} >&2 || { echo "PostgreSQL could not be set up; storage tests run on SQLite only" >&2; exit 0; }
echo "postgresql://spinebot:spinebot@127.0.0.1/spinebot_test"
