#!/usr/bin/env bash
# Runs the Python suite on SQLite, then on PostgreSQL (a fresh database per run).
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

echo "== pytest on SQLite =="
PORTAL_TEST_DB=sqlite "$BIN/pytest" "$@"
sqlite_rc=$?

if reachable postgresql "$PG_URL"; then
  echo "== pytest on PostgreSQL =="
  PORTAL_TEST_DB=postgresql PORTAL_TEST_DATABASE_URL="$PG_URL" "$BIN/pytest" "$@"
  pg_rc=$?
else
  echo "!! PostgreSQL pass NOT RUN: no server at $PG_URL (set PORTAL_TEST_DATABASE_URL)."
  pg_rc=0
fi

if [ $sqlite_rc -ne 0 ] || [ $pg_rc -ne 0 ]; then
  echo "FAILED: sqlite exit $sqlite_rc, postgresql exit $pg_rc"
  exit 1
fi
