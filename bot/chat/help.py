"""What the bot can do, with examples people can copy."""

from __future__ import annotations

from bot.kernel.messages import Fact, Reply

PLACEMENT_HELP = (
    Fact(
        "placement offer",
        "opens the offer form; or in one line: placement offer physio "
        "1 Feb - 12 Mar 2027, 2 students at Ward 12, City Hospital model 2:1",
    ),
    Fact(
        "placement list [profession] [from DATE] [to DATE] [place]",
        "open offers, e.g. placement list PT from 1 Feb 2027 City Hospital",
    ),
    Fact("placement mine", "your and your team's offers, with edit and withdraw buttons"),
    Fact(
        "placement join TEAM",
        "ask to be a member of a team (its coordinator, else the faculty lead, confirms)",
    ),
    Fact(
        "placement edit REF field value",
        "e.g. placement edit PL-2027-0042 capacity 3 (fields: dates, start, end, capacity, "
        "place, model, level, setting, educator, block, notes)",
    ),
    Fact("placement withdraw REF [reason]", "e.g. placement withdraw PL-2027-0042 staff sickness"),
    Fact("placement undo REF", "within 10 minutes, bring back an offer you withdrew"),
    Fact("placement requests REF", "HEI requests awaiting your answer, with buttons"),
    Fact(
        "placement request REF [N] [note]",
        "HEI leads: request places on an offer (no number opens the form); "
        "placement requests shows your HEI's requests",
    ),
    Fact("placement confirm REF [#N]", "confirm HEI requests for your offer (or request N)"),
    Fact("placement decline REF [#N] [reason]", "decline them; the places are offered again"),
    Fact("placement blocks [profession]", "blocks that still need places, and when offers close"),
    Fact(
        "placement none BLOCK / placement maybe BLOCK [ask again DATE]",
        "answer a block: no capacity this time, or ask again later",
    ),
    Fact(
        "placement answers BLOCK",
        "which teams were asked for a block and what each answered (leads; coordinators: "
        "their own teams)",
    ),
    Fact(
        "placement block add ...",
        "HEI leads: placement block add PT year 2 block 2 "
        "13 Jan - 21 Feb 2027 12 students close 1 Dec",
    ),
    Fact(
        "training [profession] [HEI] [next N weeks]",
        "upcoming educator training with booking links, e.g. training OT next 8 weeks",
    ),
    Fact(
        "training add ...",
        'HEI and faculty leads: training add "Educator update" 3 Feb 2027 '
        "10:00-11:00 PT online https://events.example.org/book",
    ),
    Fact(
        "nudges on | off | snooze 2w | status",
        "reminders from the bot, at most one a working day; also snooze until 12 Jan",
    ),
    Fact(
        "digest daily | weekly | off | email | chat | status",
        "HEI leads: how often, and where, the digest of register changes comes",
    ),
    Fact("summary", "faculty leads: this week's placement summary now, with the report link"),
    Fact(
        "admin people | admin role grant|revoke EMAIL ROLE [ORG] | "
        "admin target set PROFESSION YEAR EXTRA [baseline N]",
        "faculty leads: who holds which role, give or take a role, set a year's target, "
        "e.g. admin role grant jo.bloggs@nuh.nhs.uk coordinator RX1; `admin help` for more",
    ),
)


def help_reply() -> Reply:
    return Reply(
        text="PlaceBot keeps placement offers and educator training in one register. "
        "Dates can be typed as 1 Feb 2027, 01/02/2027 or 2027-02-01.",
        facts=PLACEMENT_HELP,
        private=True,
    )
