#!/usr/bin/env bash
# Runs the Python suite on SQLite and on PostgreSQL (a fresh database per run), at the same time.
# Without PostgreSQL it says plainly that the second pass did not run; with CI=true it fails.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${PORTAL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
REDIS_URL="${PORTAL_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"

reachable() {
  "$BIN/python" - "$1" "$2" <<'PY'
import asyncio, sys
kind, url = sys.argv[1], sys.argv[2]
async def main() -> None:
    if kind == "postgresql":
        import asyncpg
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
        await conn.close()
    else:
        import redis.asyncio as redis
        client = redis.from_url(url, socket_connect_timeout=5)
        await client.ping()
        await client.aclose()
try:
    asyncio.run(main())
except Exception as exc:
    print(f"{kind} at {url} is unreachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

if [ "${CI:-}" = "true" ]; then
  command -v chromium >/dev/null || { echo "CI: chromium is not installed (the frontend e2e test needs it)"; exit 1; }
  reachable postgresql "$PG_URL" || { echo "CI: PostgreSQL is required and unreachable"; exit 1; }
  reachable redis "$REDIS_URL" || { echo "CI: Redis is required and unreachable"; exit 1; }
fi

# The two passes run at the same time (each is mostly one Python process; together they keep
# both cores busy), the SQLite pass against a Redis of its own so that pub/sub messages, which
# Redis shares across its numbered databases, never cross between the passes. The PostgreSQL
# pass streams; the SQLite pass's output follows it. PORTAL_TEST_SEQUENTIAL=1 runs one after
# the other (one Redis, output as it comes).
own_redis_port=""
stop_own_redis() {
  if [ -n "$own_redis_port" ]; then
    redis-cli -h 127.0.0.1 -p "$own_redis_port" shutdown nosave >/dev/null 2>&1 || true
    own_redis_port=""
  fi
}
trap stop_own_redis EXIT  # also on failure or Ctrl-C

start_own_redis() {
  command -v redis-server >/dev/null || return 1
  local port
  port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no --daemonize yes \
    --dir "${TMPDIR:-/tmp}" --logfile "" >/dev/null || return 1
  for _ in $(seq 50); do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
      own_redis_port=$port
      return 0
    fi
    sleep 0.1
  done
  return 1
}

pg_available=0
if reachable postgresql "$PG_URL"; then pg_available=1; fi

run_sqlite() {
  PORTAL_TEST_DB=sqlite "$BIN/pytest" "$@"
}
run_postgresql() {
  PORTAL_TEST_DB=postgresql PORTAL_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" "$@"
}

sqlite_rc=0
pg_rc=0
if [ $pg_available -eq 1 ] && [ "${PORTAL_TEST_SEQUENTIAL:-}" != "1" ] && start_own_redis; then
  sqlite_log=$(mktemp "${TMPDIR:-/tmp}/portal-test-sqlite.XXXXXX")
  echo "== pytest on SQLite and on PostgreSQL, at once (SQLite's output after PostgreSQL's) =="
  PORTAL_TEST_REDIS_URL="redis://127.0.0.1:$own_redis_port/0" run_sqlite "$@" >"$sqlite_log" 2>&1 &
  sqlite_pid=$!
  echo "== pytest on PostgreSQL =="
  run_postgresql "$@"
  pg_rc=$?
  wait "$sqlite_pid"
  sqlite_rc=$?
  echo "== pytest on SQLite =="
  cat "$sqlite_log"
  rm -f "$sqlite_log"
else
  echo "== pytest on SQLite =="
  run_sqlite "$@"
  sqlite_rc=$?
  if [ $pg_available -eq 1 ]; then
    echo "== pytest on PostgreSQL =="
    run_postgresql "$@"
    pg_rc=$?
  else
    echo "!! PostgreSQL pass NOT RUN: no server at $PG_URL (set PORTAL_TEST_DATABASE_URL)."
  fi
fi

if [ $sqlite_rc -ne 0 ] || [ $pg_rc -ne 0 ]; then
  echo "FAILED: sqlite exit $sqlite_rc, postgresql exit $pg_rc"
  exit 1
fi
