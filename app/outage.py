"""Once-per-outage logging for a dependency that goes away (the database, Redis): one warning
when it fails the first time, one info line when it works again (with how long it was away and
how many failures it cost), however many failures come in between."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping


class Outage:
    """The state of one dependency as one user of it sees it (a job, the rate limiter, the log
    writer, the data plane): call ``down(error)`` on each failure and ``up()`` on each success.

    ``fields`` go into both lines (``extra={"fields": ...}``, as the JSON log lines show them);
    ``down`` adds the error and the caller's own fields of the failure that began the outage,
    ``up`` the outage's duration and failure count. Not thread-safe (one event loop)."""

    def __init__(
        self,
        logger: logging.Logger,
        down_message: str,
        up_message: str,
        fields: Mapping[str, object] | None = None,
    ) -> None:
        self.logger = logger
        self.down_message = down_message
        self.up_message = up_message
        self.fields = dict(fields or {})
        self.since: float | None = None  # time.monotonic() of the outage's first failure
        self.last = 0.0  # time.monotonic() of its latest failure
        self.failures = 0  # in the current outage

    @property
    def active(self) -> bool:
        return self.since is not None

    def down(self, error: BaseException, **fields: object) -> bool:
        """Count a failure; the first of an outage logs a warning (and returns True)."""
        now = time.monotonic()
        self.last = now
        self.failures += 1
        if self.since is not None:
            return False
        self.since = now
        self.logger.warning(
            self.down_message,
            extra={"fields": {**self.fields, **fields, "error": repr(error)[:300]}},
        )
        return True

    def up(self) -> bool:
        """The dependency worked: one info line if that ends an outage (and returns True)."""
        since = self.since
        if since is None:
            return False
        self.logger.info(
            self.up_message,
            extra={
                "fields": {
                    **self.fields,
                    "outage_seconds": round(time.monotonic() - since, 3),
                    "failures": self.failures,
                }
            },
        )
        self.since = None
        self.failures = 0
        return True
