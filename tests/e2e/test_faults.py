"""Faults survived by a real deployment: PostgreSQL stopping under load, Redis stopping,
``kill -9`` of a replica, and a graceful stop under load. Each starts its own PostgreSQL and
Redis (tests/support/pg_instance.py, redis_instance.py) so stopping them disturbs nothing else.

PostgreSQL pass only (the SQLite pass is one embedded process with no database to lose); the
figures each test measures are printed (``pytest -s``) and asserted.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import backend
from tests.support.faults import (
    Answer,
    Load,
    deployment,
    metric,
    new_key,
    ready,
    stored_ids,
    wait_drained,
)
from tests.support.pg_instance import available as pg_available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        backend() != "postgresql",
        reason="fault tests need PostgreSQL; the PORTAL_TEST_DB=postgresql pass runs them",
    ),
    pytest.mark.skipif(not pg_available(), reason="PostgreSQL server binaries not installed"),
]

OUTAGE_SECONDS = 10.0
LOG_QUEUE_SIZE = 1500  # small, so the outage overflows it and the drops show


def _outage_envelope(answer: Answer) -> None:
    assert answer.code == "service_unavailable", answer
    assert answer.retry_after is not None and int(answer.retry_after) >= 1, answer
    assert answer.request_id and f'"request_id":"{answer.request_id}"' in answer.body, answer
    assert "Traceback" not in answer.body, answer


class TestPostgresOutage:
    def test_outage_answers_503_holds_logs_and_recovers_without_restart(
        self, tmp_path: Path
    ) -> None:
        with deployment(tmp_path, PORTAL_LOG_QUEUE_SIZE=str(LOG_QUEUE_SIZE)) as d:
            server = d.serve("a")
            entity_id, _, secret = new_key(server)
            cached = "/v1/whoami"  # the key only: served from the key cache
            orders = f"/v1/entities/{entity_id}/orders"  # needs the database
            paths = [cached, orders]
            readiness: list[tuple[float, int]] = []
            sampling = threading.Event()

            def sample() -> None:
                while not sampling.is_set():
                    started = time.monotonic()
                    try:
                        status, _ = ready(server, timeout=10)
                    except Exception:
                        status = 0
                    readiness.append((started, status))
                    time.sleep(0.25)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with Load([server], paths, secret, threads=4) as load:
                time.sleep(2)
                down = time.monotonic()
                d.pg.stop("fast")
                time.sleep(OUTAGE_SECONDS)
                up = time.monotonic()
                d.pg.start()
                time.sleep(8)
                end = time.monotonic()
            sampling.set()
            sampler.join()

            answers = load.answers
            statuses = Counter((a.path == orders, a.status, a.code) for a in answers)
            print(
                f"\nPostgreSQL outage {OUTAGE_SECONDS:.0f} s: {len(answers)} requests, {statuses}"
            )
            slowest = max(a.elapsed for a in answers)
            print(f"slowest answer {slowest:.2f} s")
            assert all(a.status in (200, 503) for a in answers), [
                a for a in answers if a.status not in (200, 503)
            ][:5]
            assert slowest < 8, "a request hung while the database was away"
            unavailable = [a for a in answers if a.status == 503]
            for answer in unavailable:
                _outage_envelope(answer)
            during = load.between(down + 0.5, up)
            assert any(a.path == orders and a.status == 503 for a in during), statuses
            served = [a for a in during if a.path == cached and a.status == 200]
            print(f"cached key served during the outage: {len(served)} requests")
            assert served, "a cached key should keep working while the database is away"
            # Recovered without a restart: the last seconds answer 200 on both routes.
            after = load.between(end - 3, end)
            assert after and all(a.status == 200 for a in after), Counter(
                (a.path, a.status) for a in after
            )
            recovered = (
                min(
                    a.started
                    for a in answers
                    if a.started > up and a.path == orders and a.status == 200
                )
                - up
            )
            print(f"first database-backed 200 {recovered:.2f} s after PostgreSQL restarted")
            assert server.process.poll() is None

            # /readyz: ok, then unavailable while it was down, then ok again.
            phases = (
                [s for t, s in readiness if t < down],
                [s for t, s in readiness if down + 0.5 < t < up - 0.5],
                [s for t, s in readiness if t > end - 3],
            )
            assert phases[0] and set(phases[0]) == {200}, readiness
            assert phases[1] and set(phases[1]) == {503}, readiness
            assert phases[2] and set(phases[2]) == {200}, readiness

            # The log queue held the records and wrote them after recovery; what it could not
            # hold is counted as dropped, never lost silently.
            figures = wait_drained(server)
            ids = [a.request_id for a in answers if a.request_id]
            assert len(ids) == len(answers)
            found = stored_ids(d, ids)
            missing = len(ids) - len(found)
            dropped = int(figures["dropped"])  # type: ignore[call-overload]
            print(
                f"log rows: {len(found)} of {len(ids)} answered requests stored, "
                f"{missing} missing, {dropped} counted as dropped (queue bound {LOG_QUEUE_SIZE}); "
                f"writer {figures}"
            )
            assert missing == dropped, (missing, figures)
            assert metric(server, "portal_request_log_dropped_total") == dropped
            in_outage = [a.request_id for a in during]
            held = len(stored_ids(d, [i for i in in_outage if i]))
            assert held >= min(len(in_outage), LOG_QUEUE_SIZE), (held, len(in_outage))
            assert int(figures["failed_flushes"]) >= 1  # type: ignore[call-overload]
            _, body = ready(server)
            jobs = body["jobs"]
            assert isinstance(jobs, dict) and all(j["up"] for j in jobs.values()), jobs
            logs = server.logs()
            assert "Exception in ASGI application" not in logs, logs[-3000:]
            assert logs.count("request log flush failed: database unavailable") == 1, logs[-3000:]
