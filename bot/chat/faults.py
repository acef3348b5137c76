"""What a command that failed on our side is answered, and how the failure is logged: a bug
with its traceback each time; a database outage once as it begins and once as it ends, not a
traceback per command while it lasts."""

from __future__ import annotations

import logging

from bot.kernel.messages import Reply
from bot.kernel.outage import Outage
from storage.transactions import CommitUncertain, database_unreachable

SORRY = Reply(
    text="Sorry, something went wrong on our side and nothing was saved. "
    "Please try again in a minute.",
    tone="error",
    private=True,
)
UNCERTAIN = Reply(
    text="Sorry, our connection to the database broke just as this was being saved, so it may "
    "or may not have been saved. In a minute, please check (for an offer, `placement mine`) "
    "before trying again.",
    tone="error",
    private=True,
)


class Faults:
    """The failures of one bot's commands, logged to `log`."""

    def __init__(self, log: logging.Logger) -> None:
        self.log = log
        self.database = Outage(
            "database", log, "commands are answered 'try again' until it is back"
        )

    def noted(self, error: BaseException, what: str) -> Reply:
        """Log `error` (`what` says what failed) and say sorry: nothing was saved, or, when the
        connection broke during the commit, it may have been."""
        if database_unreachable(error):
            self.database.failed(error)
        else:
            self.log.error("%s", what, exc_info=error)
        return UNCERTAIN if isinstance(error, CommitUncertain) else SORRY

    @staticmethod
    def is_sorry(reply: Reply) -> bool:
        """Whether `reply` is one of the apologies above (nothing, or perhaps nothing, saved)."""
        return reply is SORRY or reply is UNCERTAIN

    @property
    def database_down(self) -> bool:
        """Whether the last command to reach for the database failed to."""
        return self.database.since is not None

    def worked(self) -> None:
        """A command reached the database: an outage, if there was one, is over."""
        self.database.recovered()
