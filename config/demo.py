"""Demo data: the organisations, people and placement blocks `placebot demo` loads.

Organisation names and codes are real; the people are roles, not persons, so nobody is made up.
Dates are relative (weeks from the day the demo is loaded) so the demo never goes stale.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

EDUCATOR_EVENTS_CSV = Path(__file__).parent / "data" / "educator-events-2020-21.csv"


@dataclass(frozen=True)
class DemoTeam:
    name: str
    site: str
    professions: tuple[str, ...]


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    kind: str  # "hei" or "provider"
    ukprn: str | None = None
    ods_code: str | None = None
    provider_type: str | None = None
    sites: tuple[tuple[str, str | None], ...] = ()  # (name, ODS site code)
    teams: tuple[DemoTeam, ...] = ()
    contact_domain: str = "example.org"
    email_domains: tuple[str, ...] = ()  # a provider's own: its staff are members at once


@dataclass(frozen=True)
class DemoPerson:
    key: str  # the local chat identity
    display_name: str
    roles: tuple[str, ...]
    organisation: str | None = None
    team: str | None = None
    professions: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DemoBlock:
    hei: str
    profession: str
    cohort: str
    starts_in_weeks: int
    length_weeks: int
    students: int
    close_weeks_before: int = 4


ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation("nottingham", "University of Nottingham", "hei", ukprn="10007154"),
    DemoOrganisation("lincoln", "University of Lincoln", "hei", ukprn="10007151"),
    DemoOrganisation("shu", "Sheffield Hallam University", "hei", ukprn="10005790"),
    DemoOrganisation(
        "nuh",
        "Nottingham University Hospitals NHS Trust",
        "provider",
        ods_code="RX1",
        provider_type="nhs_trust",
        email_domains=("nuh.nhs.uk",),
        sites=(("Queen's Medical Centre", "RX1RA"), ("City Hospital", "RX1CC")),
        teams=(
            DemoTeam("Stroke Rehab", "City Hospital", ("PT", "OT")),
            DemoTeam("Ward 12 Orthopaedics", "Queen's Medical Centre", ("PT",)),
            DemoTeam("Acute Medicine Therapy", "Queen's Medical Centre", ("OT", "PT")),
        ),
    ),
    DemoOrganisation(
        "nottshc",
        "Nottinghamshire Healthcare NHS Foundation Trust",
        "provider",
        ods_code="RHA",
        provider_type="nhs_trust",
        sites=(("Highbury Hospital", None), ("Mansfield Community Hospital", None)),
        teams=(
            DemoTeam("Community Mental Health OT", "Highbury Hospital", ("OT",)),
            DemoTeam("Adult Community Physiotherapy", "Mansfield Community Hospital", ("PT",)),
        ),
    ),
)

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "stroke-physio",
        "Physiotherapist, Stroke Rehab (demo)",
        ("clinician",),
        "nuh",
        "Stroke Rehab",
        ("PT",),
    ),
    DemoPerson(
        "ward12-physio",
        "Physiotherapist, Ward 12 (demo)",
        ("clinician",),
        "nuh",
        "Ward 12 Orthopaedics",
        ("PT",),
    ),
    DemoPerson(
        "community-ot",
        "Occupational therapist, community mental health (demo)",
        ("clinician",),
        "nottshc",
        "Community Mental Health OT",
        ("OT",),
    ),
    DemoPerson(
        "nuh-coordinator",
        "Practice education coordinator, NUH (demo)",
        ("coordinator",),
        "nuh",
        None,
        ("PT", "OT"),
    ),
    DemoPerson(
        "nottingham-lead",
        "Placement lead, University of Nottingham (demo)",
        ("hei_lead",),
        "nottingham",
        None,
        ("PT",),
    ),
    DemoPerson(
        "shu-lead",
        "Placement lead, Sheffield Hallam University (demo)",
        ("hei_lead",),
        "shu",
        None,
        ("OT", "PT"),
    ),
    DemoPerson("faculty-lead", "AHP faculty lead (demo)", ("faculty_lead",), None, None, ()),
)

BLOCKS: tuple[DemoBlock, ...] = (
    DemoBlock(
        "nottingham", "PT", "PT year 2 block 2", starts_in_weeks=8, length_weeks=6, students=14
    ),
    DemoBlock(
        "lincoln", "PT", "PT year 3 elective", starts_in_weeks=12, length_weeks=5, students=6
    ),
    DemoBlock("shu", "OT", "OT year 1 block 1", starts_in_weeks=10, length_weeks=4, students=9),
)

# Planned extra placements for the academic year, as the faculty reported them.
TARGETS: dict[str, int] = {"PT": 39, "OT": 23}

# How the events in the CSV are booked, mapped to demo booking links.
BOOKING_LINKS: dict[str, str] = {
    "University of Nottingham": "https://events.example.org/nottingham/placement-educator-qa",
    "Sheffield Hallam University": "https://events.example.org/shu/placement-educator-qa",
    "University of Lincoln": "mailto:placements@lincoln.example.org",
    "Notts ICS AHP Faculty": "mailto:ahp-faculty@notts-ics.example.org",
}


# --- A term's worth of activity, loaded by `placebot demo` (`bot.demo.load_term`) so that every
# lead's view has something true to show: offers on and beside the blocks, teams' answers, HEI
# requests waiting, confirmed and declined. Weeks count from the Monday after loading.


@dataclass(frozen=True)
class DemoOffer:
    key: str
    poster: str  # a DemoPerson key: a member of the team, or the provider's coordinator
    profession: str
    team: str
    starts_in_weeks: int
    length_weeks: int
    capacity: int
    block: str | None = None  # the cohort of the DemoBlock it answers
    notes: str = ""


@dataclass(frozen=True)
class DemoAnswer:
    person: str
    block: str  # cohort
    answer: str  # "maybe" or "no_capacity"
    ask_again_in_weeks: int | None = None


@dataclass(frozen=True)
class DemoRequest:
    lead: str
    offer: str  # DemoOffer key
    students: int
    note: str = ""
    outcome: str = ""  # "", "confirm" or "decline": what the offer's poster answered


TERM_PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(
        "community-physio",
        "Physiotherapist, Adult Community (demo)",
        ("clinician",),
        "nottshc",
        "Adult Community Physiotherapy",
        ("PT",),
    ),
)

TERM_OFFERS: tuple[DemoOffer, ...] = (
    DemoOffer("stroke-block", "stroke-physio", "PT", "Stroke Rehab", 8, 6, 3, "PT year 2 block 2"),
    DemoOffer("ward12-block", "ward12-physio", "PT", "Ward 12 Orthopaedics", 8, 6, 2),
    DemoOffer("ward12-soon", "ward12-physio", "PT", "Ward 12 Orthopaedics", 3, 5, 2),
    DemoOffer(
        "community-elective", "community-physio", "PT", "Adult Community Physiotherapy", 12, 5, 2
    ),
    DemoOffer(
        "mh-ot-block",
        "community-ot",
        "OT",
        "Community Mental Health OT",
        10,
        4,
        2,
        "OT year 1 block 1",
        notes="Mental health setting; car useful",
    ),
    DemoOffer("stroke-ot-spring", "stroke-physio", "OT", "Stroke Rehab", 20, 6, 1),
    DemoOffer("acute-pt-spring", "nuh-coordinator", "PT", "Acute Medicine Therapy", 18, 6, 2),
)

TERM_ANSWERS: tuple[DemoAnswer, ...] = (
    DemoAnswer("nuh-coordinator", "OT year 1 block 1", "no_capacity"),
    DemoAnswer("community-physio", "PT year 2 block 2", "maybe", ask_again_in_weeks=2),
)

TERM_REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest("nottingham-lead", "ward12-block", 2, "Year 2, block 2"),
    DemoRequest("nottingham-lead", "ward12-soon", 1, "Year 3 student", outcome="confirm"),
    DemoRequest("shu-lead", "acute-pt-spring", 2, "Year 2 physiotherapy"),
    DemoRequest("shu-lead", "stroke-block", 1, outcome="decline"),
)
