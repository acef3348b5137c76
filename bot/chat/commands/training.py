"""`training ...`: upcoming educator training by profession, HEI and weeks ahead; adding events."""

from __future__ import annotations

import calendar
import re
import shlex
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from bot.chat import paging
from bot.chat.suggest import quoted
from bot.kernel import date_display, dates, links, professions
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Button, Reply
from bot.training import catalogue as training
from bot.training.events import TrainingData, booking_fields, stable_uid
from bot.training.views import training_item
from config.professions import Profession

ADD_EXAMPLE = 'training add "Educator update" 3 Feb 2027 10:00-11:00 PT online https://events.example.org/book'
_HORIZON = re.compile(
    r"\b(?:next|in|within|over)\s+(?:the\s+)?(?:(?P<n>\d{1,2})\s+)?(?P<unit>weeks?|months?)\b",
    re.I,
)
_TIMES = re.compile(r"\b(?P<start>\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*(?P<end>\d{1,2}[:.]\d{2})\b")
LIST_EXAMPLE = "training OT next 8 weeks"
PAGE_SIZE = 15


@dataclass(frozen=True)
class Asked:
    """What `training ...` asked for, read from the words, and how to say it back."""

    query: training.TrainingQuery
    said: str  # " for Physiotherapy (PT) by “Lincoln” in the next 3 weeks"


def _months_on(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _horizon(ctx: Context, text: str) -> tuple[str, datetime | None, str]:
    """The text without its "next N weeks" / "next month", the end of that window, its words."""
    found = _HORIZON.search(text)
    if found is None:
        return text, None, ""
    count = int(found.group("n") or 1)
    unit = found.group("unit").lower().rstrip("s")
    rest = text[: found.start()] + text[found.end() :]
    now = ctx.clock.now()
    if unit == "week":
        if not 1 <= count <= 52:
            raise UserError("Look ahead 1 to 52 weeks.", example=LIST_EXAMPLE)
        until = now + timedelta(weeks=count)
    else:
        if not 1 <= count <= 12:
            raise UserError("Look ahead 1 to 12 months.", example="training OT next month")
        local = ctx.clock.local(now)
        until = datetime.combine(_months_on(local.date(), count), local.time(), ctx.clock.zone)
    words = f"the next {unit}" if count == 1 else f"the next {count} {unit}s"
    return rest, until, f" in {words} (to {date_display.show(ctx.clock.local(until).date())})"


def _profession_anywhere(words: list[str]) -> tuple[Profession | None, list[str]]:
    """A profession named anywhere in the words ("training Lincoln SALT"), by code or alias."""
    for index in range(len(words)):
        found, after = professions.take_leading(words[index:])
        if found is not None:
            return found, words[:index] + after
    return None, words


async def _asked(ctx: Context, rest: str) -> Asked:
    text, until, window = _horizon(ctx, rest)
    profession, words = _profession_anywhere(text.split())
    organiser = " ".join(words).strip(" ,") or None
    if organiser and not await training.organisers_like(ctx, organiser):
        raise UserError(
            f"I don't know the filter {quoted(organiser)}. Filter by a profession (PT, OT, "
            "SALT, ...), an organiser (Lincoln) or a time (next 8 weeks, next month).",
            example=LIST_EXAMPLE,
        )
    said = f" for {professions.profession_name(profession.code)}" if profession else ""
    said += f" by {quoted(organiser)}" if organiser else ""
    query = training.TrainingQuery(
        profession=profession.code if profession else None,
        organiser=organiser,
        until=until,
        limit=PAGE_SIZE,
    )
    return Asked(query, said + window)


def _narrower(command: str, query: training.TrainingQuery) -> str:
    """A narrower version of the command, to show how."""
    if query.until is None:
        return f"{command} next 4 weeks"
    if query.profession is None:
        return command.replace("training", "training PT", 1)
    return f"training {query.profession} next 4 weeks"


async def list_training(ctx: Context, rest: str) -> Reply:
    rest, page = paging.take_page(" ".join(rest.split()), PAGE_SIZE)
    asked = await _asked(ctx, rest)
    query = replace(asked.query, offset=page.offset)
    events = await training.upcoming(ctx, query)
    if len(events) < query.limit and (events or not query.offset):
        total = query.offset + len(events)  # the last page: there is nothing after it to count
    else:
        total = await training.count_upcoming(ctx, query)
    command = f"training {rest}".strip()
    if not events:
        if total:
            return Reply(text=paging.past_the_end(command, page, total), private=True)
        everything = await training.count_upcoming(ctx, training.TrainingQuery())
        also = f" `training` alone lists all {everything} coming up." if asked.said else ""
        return Reply(text=f"No upcoming educator training{asked.said}.{also}", private=True)
    text = f"Upcoming educator training{asked.said}, soonest first: "
    text += paging.shown(page, len(events), total) + "."
    buttons: tuple[Button, ...] = ()
    if paging.has_more(page, len(events), total):
        narrower = _narrower(command, asked.query)
        following = f"{command} page {page.number + 1}"
        text += f" Narrow it (`{narrower}`) or see the rest: Show more, or `{following}`."
        buttons = (paging.more_button(command, page),)
    return Reply(
        text=text,
        items=tuple(training_item(event, ctx.clock) for event in events),
        buttons=buttons,
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
            text="training [profession] [HEI] [next N weeks | next month], e.g. "
            "`training OT next 8 weeks`, `training SALT next month` or `training PT Lincoln`. "
            "HEI and faculty leads add events with " + ADD_EXAMPLE,
            private=True,
        )
    return await list_training(ctx, rest)
