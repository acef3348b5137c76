"""The scheduled jobs and when each runs, from settings."""

from __future__ import annotations

from bot.nudges import scan as nudges
from bot.privacy import retention
from bot.reports.digests import job as digests
from bot.reports.summary import job as summary
from bot.runtime import housekeeping
from bot.runtime.schedule import WallClockCron
from bot.runtime.worker import Schedule
from config.settings import Settings


class ScheduleError(ValueError):
    """A schedule setting that is not a crontab line; the message names the variable."""


def schedules(settings: Settings) -> list[Schedule]:
    wanted = (
        ("nudges", "placebot_schedule_nudges", nudges.scan),
        ("digests-daily", "placebot_schedule_digests_daily", digests.daily),
        ("digests-weekly", "placebot_schedule_digests_weekly", digests.weekly),
        ("summary", "placebot_schedule_summary", summary.weekly),
        ("purge", "placebot_schedule_purge", retention.job),
        (housekeeping.NAME, "placebot_schedule_housekeeping", housekeeping.housekeeping),
    )
    found = []
    for name, setting, job in wanted:
        crontab = getattr(settings, setting)
        try:
            trigger = WallClockCron(crontab, settings.timezone)
        except ValueError as error:
            raise ScheduleError(
                f"{setting.upper()}={crontab!r} is not a crontab line "
                f"(minute hour day month weekday, e.g. '30 9 * * mon-fri'): {error}"
            ) from None
        found.append(Schedule(name, trigger, job))
    return found
