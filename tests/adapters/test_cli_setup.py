"""Setting up a faculty from an empty database with the `placebot` set-up verbs: each prints
what it did, a re-run changes nothing, and bad input exits 2 with nothing stored."""

from __future__ import annotations

import asyncio
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters import cli
from storage.engine import make_engine, make_sessionmaker
from storage.tables import AuditEvent, EmailDomain, Organisation, Person, Site, Target, Team
from tests.conftest import truncate_all

# A small faculty: two HEIs, a trust with two sites and two teams, a council, people in all
# four roles and a target with a baseline; each command with the line it prints.
FACULTY = [
    (
        "org add hei 'University of Leeds' --ukprn 10007795 --professions PT,OT",
        "Added HEI University of Leeds (UKPRN 10007795).",
    ),
    (
        "org add hei 'Leeds Beckett University' --ukprn 10003957 --professions 'physio, SLT'",
        "Added HEI Leeds Beckett University (UKPRN 10003957).",
    ),
    (
        "org add provider 'Leeds Teaching Hospitals NHS Trust' --ods rr8 --type nhs_trust "
        "--email-domain leedsth.nhs.uk",
        "Added provider Leeds Teaching Hospitals NHS Trust (RR8): email domains.",
    ),
    (
        'site add RR8 "St James\'s University Hospital" --ods RR813',
        "Added site St James's University Hospital (RR813) at Leeds Teaching Hospitals NHS Trust.",
    ),
    (
        "site add 'Leeds Teaching Hospitals NHS Trust' 'Leeds General Infirmary' --ods RR801",
        "Added site Leeds General Infirmary (RR801) at Leeds Teaching Hospitals NHS Trust.",
    ),
    (
        "team add RR8 'Stroke Rehab' --site RR813 --professions PT,OT",
        "Added team Stroke Rehab at Leeds Teaching Hospitals NHS Trust.",
    ),
    (
        "team add RR8 \"Children's Therapies\" --site 'Leeds General Infirmary' --professions SLT",
        "Added team Children's Therapies at Leeds Teaching Hospitals NHS Trust.",
    ),
    (
        "org add provider 'Leeds City Council' --ods 00DA --type local_authority "
        "--email-domain leeds.gov.uk",
        "Added provider Leeds City Council (00DA): email domains.",
    ),
    (
        "person add Jo.Physio@LeedsTH.nhs.uk --name 'Jo Physio' --team 'Stroke Rehab' "
        "--professions PT",
        "Added person Jo Physio <jo.physio@leedsth.nhs.uk> "
        "(Leeds Teaching Hospitals NHS Trust (RR8)).",
    ),
    (
        "person add sam.coord@leedsth.nhs.uk --name 'Sam Coord' --role coordinator "
        "--organisation RR8",
        "Added person Sam Coord <sam.coord@leedsth.nhs.uk> "
        "(Leeds Teaching Hospitals NHS Trust (RR8)).",
    ),
    (
        "person add a.lead@leeds.ac.uk --name 'Alex Lead' --organisation 10007795",
        "Added person Alex Lead <a.lead@leeds.ac.uk> (University of Leeds (UKPRN 10007795)).",
    ),
    (
        "role grant a.lead@leeds.ac.uk hei_lead",
        "Added role hei_lead for a.lead@leeds.ac.uk at University of Leeds.",
    ),
    (
        "person add pat.ahp@leeds.gov.uk --name 'Pat Faculty' --role faculty_lead "
        "--organisation 'Leeds City Council'",
        "Added person Pat Faculty <pat.ahp@leeds.gov.uk> (Leeds City Council (00DA)).",
    ),
    (
        "role grant sam.coord@leedsth.nhs.uk coordinator 00DA",
        "Added role coordinator for sam.coord@leedsth.nhs.uk at Leeds City Council.",
    ),
    (
        "target set physio 2026-27 39 --baseline 120",
        "Added target Physiotherapy (PT) 2026/27: 39 extra on a baseline of 120.",
    ),
]
AGAIN = (
    "team add RR8 'Stroke Rehab' --site RR813 --professions PT,OT",
    "Unchanged team Stroke Rehab at Leeds Teaching Hospitals NHS Trust.",
)
REFUSED = [
    ("org add hei 'Leeds Trinity University' --ukprn 123", "8 digits starting with 1"),
    ("org add provider 'Any Trust' --ods RX1 --type nhs_trust --email-domain nhs.net", "shared"),
    ("team add RR8 'Ward 12' --site 'Nowhere General'", "has no site “Nowhere General”"),
    ("person add not-an-email --name Someone", "is not an email address"),
    ("role grant jo.physio@leedsth.nhs.uk hei_lead 00DA", "is not an HEI"),
    ("target set PT 2026/28 5", "write it as 2026/27"),
]


async def _faculty(url: str) -> dict[str, Any]:
    """The set-up as stored, in a form a test can compare whole."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:

            async def rows(query: Any) -> list[Any]:
                return list((await session.execute(query)).unique().scalars())

            orgs = {o.id: o for o in await rows(select(Organisation).order_by(Organisation.id))}
            sites = {s.id: s.name for s in await rows(select(Site))}
            people = await rows(select(Person).order_by(Person.id))
            return {
                "organisations": [
                    (o.kind, o.name, o.ukprn, o.ods_code, o.provider_type, o.professions)
                    for o in orgs.values()
                ],
                "domains": sorted(
                    (orgs[d.organisation_id].ods_code, d.domain)
                    for d in await rows(select(EmailDomain))
                ),
                "sites": sorted(sites.values()),
                "teams": sorted(
                    (orgs[t.organisation_id].ods_code, t.name, sites[t.site_id], t.professions)
                    for t in await rows(select(Team))
                ),
                "people": [
                    (
                        p.email,
                        p.display_name,
                        p.team.name if p.team else None,
                        sorted(
                            (g.role, orgs[g.organisation_id].name if g.organisation_id else None)
                            for g in p.roles
                        ),
                    )
                    for p in people
                ],
                "targets": [
                    (t.profession, t.academic_year, t.extra_placements, t.baseline)
                    for t in await rows(select(Target))
                ],
                "audit": sorted({(e.edge, e.actor_id) for e in await rows(select(AuditEvent))}),
                "audit_events": len(await rows(select(AuditEvent))),
            }
    finally:
        await engine.dispose()


EXPECTED = {
    "organisations": [
        ("hei", "University of Leeds", "10007795", None, None, ",PT,OT,"),
        ("hei", "Leeds Beckett University", "10003957", None, None, ",PT,SLT,"),
        ("provider", "Leeds Teaching Hospitals NHS Trust", None, "RR8", "nhs_trust", ""),
        ("provider", "Leeds City Council", None, "00DA", "local_authority", ""),
    ],
    "domains": [("00DA", "leeds.gov.uk"), ("RR8", "leedsth.nhs.uk")],
    "sites": ["Leeds General Infirmary", "St James's University Hospital"],
    "teams": [
        ("RR8", "Children's Therapies", "Leeds General Infirmary", ",SLT,"),
        ("RR8", "Stroke Rehab", "St James's University Hospital", ",PT,OT,"),
    ],
    "people": [
        (
            "jo.physio@leedsth.nhs.uk",
            "Jo Physio",
            "Stroke Rehab",
            [("clinician", "Leeds Teaching Hospitals NHS Trust")],
        ),
        (
            "sam.coord@leedsth.nhs.uk",
            "Sam Coord",
            None,
            [
                ("coordinator", "Leeds City Council"),
                ("coordinator", "Leeds Teaching Hospitals NHS Trust"),
            ],
        ),
        (
            "a.lead@leeds.ac.uk",
            "Alex Lead",
            None,
            [("clinician", "University of Leeds"), ("hei_lead", "University of Leeds")],
        ),
        ("pat.ahp@leeds.gov.uk", "Pat Faculty", None, [("faculty_lead", "Leeds City Council")]),
    ],
    "targets": [("PT", "2026/27", 39, 120)],
    "audit": [("cli", None)],
    # 15 changes, one event each; four people's first roles and two providers' domains.
    "audit_events": 15 + 4 + 2,
}


def test_a_faculty_is_set_up_in_process(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every verb on both databases, through `cli.main` as the console script calls it."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for command, line in [*FACULTY, AGAIN]:
        assert cli.main(shlex.split(command)) == 0, capsys.readouterr().err
        assert capsys.readouterr().out == line + "\n"
    for command, says in REFUSED:
        assert cli.main(shlex.split(command)) == 2
        printed = capsys.readouterr()
        assert printed.out == "" and says in printed.err, printed.err
    assert asyncio.run(_faculty(database_url)) == EXPECTED


def _placebot(url: str, cwd: Path, command: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("placebot")
    program = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
    return subprocess.run(
        [*program, *shlex.split(command)],
        env=os.environ | {"DATABASE_URL": url},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_placebot_command_sets_up_a_faculty_from_an_empty_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'placebot.db'}"
    assert _placebot(url, tmp_path, "migrate").returncode == 0
    # One command of each kind through the real entry point (each start costs seconds); the
    # whole faculty is built, verb by verb, in process above.
    hei, provider, site, team, person = (FACULTY[i] for i in (0, 2, 3, 5, 8))
    for command, line in (hei, provider, site, team, person):
        done = _placebot(url, tmp_path, command)
        assert (done.returncode, done.stdout) == (0, line + "\n"), done.stderr
    again = _placebot(url, tmp_path, team[0])
    assert again.stdout.startswith("Unchanged"), again.stdout + again.stderr
    refused = _placebot(url, tmp_path, REFUSED[0][0])
    assert (refused.returncode, refused.stdout) == (2, "")
    assert "placebot: “123” is not a UKPRN: it is 8 digits starting with 1" in refused.stderr
    assert "Traceback" not in refused.stderr
    stored = asyncio.run(_faculty(url))
    assert stored["domains"] == [("RR8", "leedsth.nhs.uk")]


def test_the_placebot_command_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    asyncio.run(truncate_all(postgres_url))
    for command, line in [FACULTY[2], FACULTY[3], FACULTY[-1]]:
        done = _placebot(postgres_url, tmp_path, command)
        assert (done.returncode, done.stdout) == (0, line + "\n"), done.stderr
    again = _placebot(postgres_url, tmp_path, FACULTY[-1][0])
    assert again.stdout == FACULTY[-1][1].replace("Added", "Unchanged", 1) + "\n"
    refused = _placebot(postgres_url, tmp_path, REFUSED[1][0])
    assert refused.returncode == 2 and "nhs.net is shared" in refused.stderr
    stored = asyncio.run(_faculty(postgres_url))
    assert stored["domains"] == [("RR8", "leedsth.nhs.uk")]
    assert stored["targets"] == [("PT", "2026/27", 39, 120)]
