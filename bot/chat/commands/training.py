"""`training ...`: upcoming educator training by profession, HEI and weeks ahead; adding events."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, time

from bot.kernel import dates, links, professions
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Reply
from bot.training import catalogue as training
from bot.training.events import TrainingData, booking_fields, stable_uid
from bot.training.views import training_item

ADD_EXAMPLE = 'training add "Educator update" 3 Feb 2027 10:00-11:00 PT online https://events.example.org/book'
_WEEKS = re.compile(r"\b(?:next|in|within)\s+(?P<n>\d{1,2})\s+weeks?\b", re.I)
_TIMES = re.compile(r"\b(?P<start>\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*(?P<end>\d{1,2}[:.]\d{2})\b")


def _query(rest: str) -> training.TrainingQuery:
    text = rest
    weeks = _WEEKS.search(text)
    if weeks:
        text = text[: weeks.start()] + text[weeks.end() :]
    words = text.split()
    profession, words = professions.take_leading(words)
    if profession is None:  # the profession may come after the HEI: "training Lincoln PT"
        for index, word in enumerate(words):
            found = professions.find(word)
            if found:
                profession, words = found, words[:index] + words[index + 1 :]
                break
    organiser = " ".join(words).strip(" ,") or None
    if weeks and not 1 <= int(weeks.group("n")) <= 52:
        raise UserError("Look ahead 1 to 52 weeks.", example="training OT next 8 weeks")
    return training.TrainingQuery(
        profession=profession.code if profession else None,
        organiser=organiser,
        weeks=int(weeks.group("n")) if weeks else None,
    )


async def list_training(ctx: Context, rest: str) -> Reply:
    query = _query(rest)
    events = await training.upcoming(ctx, query)
    if not events:
        return Reply(
            text="No upcoming educator training matches that. Try `training` alone for everything.",
            private=True,
        )
    return Reply(
        text=f"Upcoming educator training, soonest first: {len(events)}.",
        items=tuple(training_item(event, ctx.clock) for event in events),
        private=True,
    )


def _clock_time(text: str) -> time:
    return time.fromisoformat(text.replace(".", ":").zfill(5))


async def add_training(ctx: Context, rest: str) -> Reply:
    try:
        parts = shlex.split(rest)
    except ValueError:
        raise UserError("Close the quotes around the title.", example=ADD_EXAMPLE) from None
    if not parts:
        raise UserError("Give the title, date and times.", example=ADD_EXAMPLE)
    title, text = parts[0], " ".join(parts[1:])
    times = _TIMES.search(text)
    # Look for the date only outside the times, so that "9.30-10.30" is never read as a date.
    day_text = dates.find_single(text.replace(times.group(0), " ") if times else text)
    if day_text is None or times is None:
        raise UserError("Give the date and the start and end times.", example=ADD_EXAMPLE)
    day = dates.parse_date(day_text, ctx.clock.today())
    try:
        start, end = _clock_time(times.group("start")), _clock_time(times.group("end"))
    except ValueError:
        raise UserError("Times look like 10:00-11:30.", example=ADD_EXAMPLE) from None
    if end <= start:
        raise UserError("The event ends before it starts.", example=ADD_EXAMPLE)
    tail = text.replace(day_text, " ").replace(times.group(0), " ")
    link = next((word for word in tail.split() if links.looks_like_link(word)), None)
    try:
        booking, note = booking_fields(link or "")
    except UserError as error:
        raise UserError(error.message, example=ADD_EXAMPLE) from None
    codes = tuple(sorted({p.code for w in tail.split() if (p := professions.find(w))}))
    person = ctx.require_person()
    organiser = person.organisation.name if person.organisation else person.display_name
    starts = datetime.combine(day, start, ctx.clock.zone)
    if starts < ctx.clock.now():
        raise UserError(
            "That time has passed; training events are for the future.", example=ADD_EXAMPLE
        )
    data = TrainingData(
        uid=stable_uid(title, organiser, day.isoformat(), f"{start:%H:%M}"),
        title=title[:300],
        organiser=organiser,
        professions=codes,
        starts_at=starts,
        ends_at=datetime.combine(day, end, ctx.clock.zone),
        mode="online" if re.search(r"\bonline\b", tail, re.I) else "in person",
        booking=booking,
        booking_note=note,
    )
    event = await training.add_event(ctx, data)
    return Reply(
        text=f"Added: {event.title}.", items=(training_item(event, ctx.clock),), tone="success"
    )


async def run(ctx: Context, rest: str) -> Reply:
    first = rest.split(maxsplit=1)[0].lower() if rest.strip() else ""
    if first == "add":
        return await add_training(ctx, rest.split(maxsplit=1)[1] if len(rest.split()) > 1 else "")
    if first == "help":
        return Reply(
            text="training [profession] [HEI] [next N weeks], e.g. `training OT next 8 weeks` or "
            "`training PT Lincoln`. HEI and faculty leads add events with " + ADD_EXAMPLE,
            private=True,
        )
    return await list_training(ctx, rest)
