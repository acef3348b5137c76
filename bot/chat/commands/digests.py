"""`digest daily | weekly | off | email | chat | status | now`: HEI and faculty leads choose how
often and where their digest of register changes comes, or ask for one at once; `digest summary
on | off | now`: faculty leads stop or restart the weekly summary, or see it now (as `summary`)."""

from __future__ import annotations

from bot.chat import suggest
from bot.chat.commands import summary as summary_commands
from bot.chat.roles import requires_any_role
from bot.delivery.recipients import channels_for
from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import UserError
from bot.kernel.messages import Reply
from bot.reports.digests import job as digests

USAGE = "digest weekly"
FREQUENCIES = {"daily": "every working day at 08:00", "weekly": "on Mondays at 08:00"}


async def _status(ctx: Context) -> Reply:
    """How often, and where the delivery package will really send it (not merely the choice)."""
    person = ctx.require_person()
    if person.digest_frequency == "off":
        how = "off. `digest weekly` or `digest daily` turns it back on."
    else:
        channel = (await channels_for(ctx.session, [person.id])).get(person.id)
        how = f"{person.digest_frequency}, {FREQUENCIES[person.digest_frequency]}"
        how += " by email." if channel == "email" else " here in chat."
    return Reply(text=f"Your digest of register changes is {how}", private=True)


async def run(ctx: Context, rest: str) -> Reply:
    person = ctx.require_person()
    # The person may come from the few-seconds memory of people (bot/people/cache.py), and a
    # worker may have paused them meanwhile: their settings are read and written as stored.
    await ctx.session.refresh(person)
    verb = (rest.split() or ["status"])[0].lower()
    if verb == "status":
        return await _status(ctx)
    if verb == "now":
        return await _now(ctx, "")
    if verb == "summary":
        return await _summary(ctx, " ".join(rest.split()[1:2]).lower())
    return await _choose(ctx, verb)


@requires_any_role(
    "faculty_lead",
    refusal="The weekly summary goes to AHP faculty leads; HEI leads choose their digest with "
    "`digest weekly`, `digest daily` or `digest off`.",
    example="digest status",
)
async def _summary(ctx: Context, choice: str) -> Reply:
    person = ctx.require_person()
    if choice == "now":
        return await summary_commands.run(ctx, "")
    if choice not in ("on", "off"):
        state = "stopped" if person.summary_stopped else "on: it comes once a week"
        return Reply(
            text=f"Your weekly summary is {state}. `digest summary off` stops it, "
            "`digest summary on` has it back; `summary` shows this week's figures now.",
            private=True,
        )
    before = audit.snapshot(person)
    person.summary_stopped = choice == "off"
    await ctx.session.flush()
    audit.record(ctx, f"summary.{choice}", "person", str(person.id), before, audit.snapshot(person))
    done = "stopped" if person.summary_stopped else "back on: it comes once a week"
    return Reply(text=f"Your weekly summary is {done}.", tone="success", private=True)


@requires_any_role(
    "hei_lead",
    refusal="Digests go to HEI placement leads, for their HEI. Faculty leads: `summary` shows "
    "this week's figures now.",
    example="digest now",
)
async def _now(ctx: Context, _rest: str) -> Reply:
    if not await digests.send_now(ctx):
        return Reply(
            text="I could not reach you by chat or email to send it. Ask your faculty lead to "
            "check your work email address.",
            private=True,
        )
    return Reply(
        text="Your digest is on its way: it covers every change since your last one.",
        tone="success",
        private=True,
    )


@requires_any_role(
    "hei_lead",
    "faculty_lead",
    refusal="Digests go to HEI placement leads. Ask your faculty lead to add you as one.",
    example="placement help",
)
async def _choose(ctx: Context, verb: str) -> Reply:
    person = ctx.require_person()
    before = audit.snapshot(person)
    if verb in ("daily", "weekly", "off"):
        person.digest_frequency = verb
    elif verb == "email":
        if not person.email:
            raise UserError(
                "I have no email address for you. Tell your faculty lead which address to use."
            )
        person.preferred_channel = "email"
    elif verb == "chat":
        person.preferred_channel = None
    else:
        known = ("daily", "weekly", "off", "email", "chat", "status", "now", "summary")
        raise suggest.unknown_word(
            "digest", verb, "", known, {"summary": "digest summary off"}, USAGE
        )
    await ctx.session.flush()
    audit.record(ctx, f"digest.{verb}", "person", str(person.id), before, audit.snapshot(person))
    return await _status(ctx)
