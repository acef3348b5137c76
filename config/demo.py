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
