"""PlaceBot's platform-neutral core: one package per domain idea, importing only downwards.

Importing the core connects each package's reactions to what lower packages announce
(`bot.kernel.events`), so that every entry point (servers, worker, CLI, tests) has them.
"""

from bot.nudges import withdrawal as _nudge_withdrawal  # noqa: F401  (connects its reactions)
