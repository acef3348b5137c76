"""`nudges on | off | snooze 2w | status`: each person decides how much the bot may remind them."""

from __future__ import annotations

import re
from datetime import timedelta

from bot import audit, dates
from bot.context import Context
from bot.errors import UserError
from bot.messages import Reply

_SNOOZE = re.compile(r"^(?P<n>\d{1,2})\s*(?P<unit>d|days?|w|weeks?)$", re.I)
USAGE = "nudges snooze 2w"


def _status(ctx: Context) -> Reply:
    person = ctx.require_person()
    if person.opted_out:
        state = "off. Turn them back on with `nudges on`."
    elif person.snoozed_until and person.snoozed_until >= ctx.clock.today():
        state = f"snoozed until {dates.show(person.snoozed_until)}."
    elif person.paused:
        state = "paused after three unanswered nudges. `nudges on` resumes them."
    else:
        state = "on: at most one a day, on working days, in working hours."
    return Reply(text=f"Your nudges are {state}", private=True)


async def run(ctx: Context, rest: str) -> Reply:
    person = ctx.require_person()
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
        match = _SNOOZE.match(" ".join(words[1:]))
        if match is None:
            raise UserError("Say how long to snooze: days or weeks, up to 12 weeks.", example=USAGE)
        days = int(match.group("n")) * (7 if match.group("unit").lower().startswith("w") else 1)
        if not 1 <= days <= 84:
            raise UserError("Snooze for 1 day to 12 weeks.", example=USAGE)
        person.snoozed_until = ctx.clock.today() + timedelta(days=days)
    else:
        raise UserError(
            f"I don't know “nudges {verb[:20]}”. Use on, off, snooze or status.", example=USAGE
        )
    await ctx.session.flush()
    audit.record(ctx, f"nudges.{verb}", "person", str(person.id), before, audit.snapshot(person))
    return _status(ctx)
