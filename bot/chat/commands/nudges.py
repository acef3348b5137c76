"""`nudges on | off | snooze 2w | snooze until 12 Jan | status`: each person decides how much the
bot may remind them."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from bot.chat import suggest
from bot.kernel import audit, date_display, dates
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Reply
from bot.nudges import withdrawal as nudge_withdrawal

_SNOOZE = re.compile(r"^(?P<n>\d{1,2})\s*(?P<unit>d|days?|w|weeks?)$", re.I)
_UNTIL = re.compile(r"^(?:until|till|to)\s+(?P<date>.+)$", re.I)
USAGE = "nudges snooze 2w"
UNTIL_USAGE = "nudges snooze until 12 Jan"
MAX_SNOOZE_DAYS = 84
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _days(working_days: str) -> str:
    """ "12345" -> "Monday to Friday"; "135" -> "Monday, Wednesday and Friday"."""
    numbers = sorted({int(d) for d in working_days if d in "1234567"})
    if not numbers:
        return "on no day (no working days are set)"
    names = [DAY_NAMES[n - 1] for n in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[0]} to {names[-1]}"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def _hours(starts: time, ends: time) -> str:
    return f"{starts:%H:%M}–{ends:%H:%M}"


def _status(ctx: Context) -> Reply:
    person = ctx.require_person()
    if person.opted_out:
        state = "off. Turn them back on with `nudges on`."
    elif person.snoozed_until and person.snoozed_until >= ctx.clock.today():
        state = (
            f"snoozed until {date_display.show(person.snoozed_until)}. `nudges on` resumes them."
        )
    elif person.paused:
        state = "paused after three unanswered nudges. `nudges on` resumes them."
    else:
        place = ctx.clock.zone.key.rsplit("/", 1)[-1].replace("_", " ")
        state = (
            f"on: at most one a day, {_days(person.working_days)}, "
            f"{_hours(person.work_starts, person.work_ends)} ({place} time), "
            "and only when something needs you."
        )
    return Reply(text=f"Your nudges are {state}", private=True)


def _snooze_until(ctx: Context, words: list[str]) -> date:
    """`2w`, `10 days`, or `until 12 Jan`: a date from tomorrow to twelve weeks ahead."""
    today = ctx.clock.today()
    text = " ".join(words)
    until = _UNTIL.match(text)
    if until is not None:
        try:
            day = dates.parse_date(until.group("date"), today)
        except UserError as problem:
            raise UserError(problem.message, example=UNTIL_USAGE) from None
        if not today < day <= today + timedelta(days=MAX_SNOOZE_DAYS):
            raise UserError(
                "Snooze until a date after today and up to 12 weeks ahead.", example=UNTIL_USAGE
            )
        return day
    match = _SNOOZE.match(text)
    if match is None:
        raise UserError(
            "Say how long to snooze (days or weeks, up to 12 weeks) or until when, e.g. "
            f"`{UNTIL_USAGE}`.",
            example=USAGE,
        )
    days = int(match.group("n")) * (7 if match.group("unit").lower().startswith("w") else 1)
    if not 1 <= days <= MAX_SNOOZE_DAYS:
        raise UserError("Snooze for 1 day to 12 weeks.", example=USAGE)
    return today + timedelta(days=days)


async def run(ctx: Context, rest: str) -> Reply:
    person = ctx.require_person()
    # The person may come from the few-seconds memory of people (bot/people/cache.py), and a
    # worker may have paused them meanwhile: their settings are read and written as stored.
    await ctx.session.refresh(person)
    words = rest.split()
    verb = words[0].lower() if words else "status"
    if verb == "status":
        return _status(ctx)
    before = audit.snapshot(person)
    if verb == "on":
        person.opted_out, person.paused, person.snoozed_until = False, False, None
        person.ignored_nudges = 0
    elif verb == "off":
        person.opted_out = True
    elif verb == "snooze":
        person.snoozed_until = _snooze_until(ctx, words[1:])
    else:
        rest = " ".join(words[1:])
        raise suggest.unknown_word(
            "nudges", verb, rest, ("on", "off", "snooze", "status"), {"snooze": USAGE}, USAGE
        )
    await ctx.session.flush()
    if verb != "on":  # a nudge queued this morning must not arrive after all
        await nudge_withdrawal.cancel_pending(ctx.session, [person.id])
    audit.record(ctx, f"nudges.{verb}", "person", str(person.id), before, audit.snapshot(person))
    return _status(ctx)
