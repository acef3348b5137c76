"""The signed links in digests, summaries and their emails: what each opens, for whom, how long.

A lead's digest links to a CSV of the very changes it reports (their professions, since their
last digest); the faculty summary to the year's offers. Each link names its reader and is
checked again on use, so a link forwarded after its reader stopped being a lead opens nothing.
The unsubscribe link (an email's List-Unsubscribe) stops the digest or the summary it came with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from bot.kernel import audit, signed_links
from bot.kernel.clock import Clock
from bot.kernel.context import Context
from bot.people.directory import has_role
from bot.register.queries import PlacementQuery
from config.settings import Settings
from storage.tables import Person

CSV_LINK_DAYS = 30  # a month of weekly digests stay useful
REPORT_DAYS = 14  # the report page: two weeks of digests and summaries open it
UNSUBSCRIBE_DAYS = 365  # people find an old email to stop the next ones
Stoppable = Literal["digest", "summary"]
CSV_PATH = "/report/placements.csv"
REPORT_PATH = "/report"
UNSUBSCRIBE_PATH = "/unsubscribe"
_LEADS = ("hei_lead", "faculty_lead")


@dataclass(frozen=True)
class CsvLink:
    """What a CSV link opens: the register, narrowed as the message it came with was."""

    person_id: int
    professions: tuple[str, ...] = ()
    changed_since: datetime | None = None
    ends_from: date | None = None


def csv_link(settings: Settings, clock: Clock, wanted: CsvLink) -> str:
    payload = {
        "p": wanted.person_id,
        "prof": list(wanted.professions),
        "since": wanted.changed_since.isoformat() if wanted.changed_since else None,
        "from": wanted.ends_from.isoformat() if wanted.ends_from else None,
    }
    return signed_links.link(settings, clock, CSV_PATH, "digest-csv", payload)


def report_link(settings: Settings, clock: Clock, person_id: int) -> str:
    """The reader's own link to the report page (the view follows their role when opened)."""
    return signed_links.link(settings, clock, REPORT_PATH, "report", {"p": person_id})


async def report_reader(ctx: Context, token: str) -> Person:
    """Whom a report link is for, if they still lead; BadLink otherwise."""
    payload = signed_links.read(
        ctx.settings, ctx.clock, "report", token, timedelta(days=REPORT_DAYS)
    )
    person = await _reader(ctx, payload.get("p"))
    if not any(has_role(person, role) for role in _LEADS):
        raise signed_links.BadLink(
            "This report link was for a placement lead; its reader no longer is one."
        )
    return person


def unsubscribe_link(settings: Settings, clock: Clock, person_id: int, what: Stoppable) -> str:
    payload = {"p": person_id, "what": what}
    return signed_links.link(settings, clock, UNSUBSCRIBE_PATH, "unsubscribe", payload)


async def _reader(ctx: Context, person_id: object) -> Person:
    person = await ctx.session.get(Person, person_id) if isinstance(person_id, int) else None
    if person is None:
        raise signed_links.BadLink("This link is not valid any more. Open it from a newer message.")
    return person


async def csv_query(ctx: Context, token: str) -> PlacementQuery:
    """The register query a CSV link stands for; BadLink if its reader may no longer see it."""
    payload = signed_links.read(
        ctx.settings, ctx.clock, "digest-csv", token, timedelta(days=CSV_LINK_DAYS)
    )
    person = await _reader(ctx, payload.get("p"))
    if not any(has_role(person, role) for role in _LEADS):
        raise signed_links.BadLink(
            "This link was for a placement lead's digest; its reader is no longer a lead."
        )
    since, ends_from = payload.get("since"), payload.get("from")
    return PlacementQuery(
        professions=tuple(str(code) for code in payload.get("prof") or ()),
        updated_since=datetime.fromisoformat(since) if since else None,
        ends_from=date.fromisoformat(ends_from) if ends_from else None,
    )


async def unsubscribe(ctx: Context, token: str) -> str:
    """Stop what the link was sent with; what to say, including how to have it back."""
    payload = signed_links.read(
        ctx.settings, ctx.clock, "unsubscribe", token, timedelta(days=UNSUBSCRIBE_DAYS)
    )
    person = await _reader(ctx, payload.get("p"))
    before = audit.snapshot(person)
    what = "summary" if payload.get("what") == "summary" else "digest"
    if what == "summary":
        person.summary_stopped = True
    else:
        person.digest_frequency = "off"
    await ctx.session.flush()
    audit.record(
        ctx, f"{what}.unsubscribe", "person", str(person.id), before, audit.snapshot(person)
    )
    if what == "summary":
        return (
            "Done: the weekly summary will not come again. To have it back, type "
            "`digest summary on` to PlaceBot in chat."
        )
    return (
        "Done: your placement digest is off. To have it again, type `digest weekly` (or "
        "`digest daily`) to PlaceBot in chat."
    )
