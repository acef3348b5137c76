"""One log line when something starts failing and one when it recovers, not a traceback per try.

The worker's loops poll every few seconds, and commands keep arriving; with the database away each
fails the same way. An operator wants to know when the outage began, what it looked like, and when
it ended.
"""

from __future__ import annotations

import logging
import time


class Outage:
    """The state of one polling loop (or of the commands): working, or failing since a moment.
    `meanwhile` says in the first line what happens until it recovers."""

    def __init__(
        self, what: str, log: logging.Logger, meanwhile: str = "retrying quietly until it recovers"
    ) -> None:
        self.what = what
        self.log = log
        self.meanwhile = meanwhile
        self.since: float | None = None
        self.failures = 0

    def failed(self, error: BaseException) -> None:
        """Log the first failure of an outage (with its traceback at debug level only)."""
        self.failures += 1
        if self.since is not None:
            return
        self.since = time.monotonic()
        self.log.error("%s failing: %r; %s", self.what, error, self.meanwhile)
        self.log.debug("%s failure", self.what, exc_info=error)

    def recovered(self) -> None:
        if self.since is None:
            return
        took = time.monotonic() - self.since
        self.log.warning(
            "%s recovered after %.0f s (%d failed tries)", self.what, took, self.failures
        )
        self.since, self.failures = None, 0
