"""The faculty workbook from an empty database: the template filled in with openpyxl imports as a
dry run that stores nothing, then with --apply; a second import and an export's re-import change
nothing; a workbook with bad cells is refused whole, one message per bad cell."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from adapters import cli
from adapters.workbook import read
from storage.engine import make_engine, make_sessionmaker
from storage.tables import (
    AuditEvent,
    EmailDomain,
    Organisation,
    Person,
    RoleGrant,
    Site,
    Target,
    Team,
)

ORGANISATIONS = [
    ["hei", "University of Leeds", "10007795", None, None, "PT, OT", None],
    ["hei", "Leeds Beckett University", 10003957, None, None, "physio, SLT", None],
    ["hei", "University of Bradford", "10007785", None, None, "OT", None],
    ["provider", "Leeds Teaching Hospitals NHS Trust", None, "rr8", "nhs_trust", None,
     "leedsth.nhs.uk"],
    ["provider", "Leeds City Council", None, "00DA", "local_authority", None, "leeds.gov.uk"],
    ["provider", "St Gemma's Hospice", None, "NQ4", "voluntary", None, None],
]  # fmt: skip
SITES = [
    ["RR8", "St James's University Hospital", "RR813"],
    ["Leeds Teaching Hospitals NHS Trust", "Leeds General Infirmary", "RR801"],
]
TEAMS = [
    ["RR8", "Stroke Rehab", "RR813", "PT, OT"],
    ["RR8", "Children's Therapies", "Leeds General Infirmary", "SLT"],
    ["RR8", "Ward 12 Orthopaedics", "St James's University Hospital", "PT"],
]
PEOPLE = [
    ["Jo.Physio@LeedsTH.nhs.uk", "Jo Physio", "clinician", "RR8", "Stroke Rehab", "PT", None],
    ["kim.ot@leedsth.nhs.uk", "Kim OT", None, "RR8", "Ward 12 Orthopaedics", "OT", None],
    ["sam.coord@leedsth.nhs.uk", "Sam Coord", "coordinator", "RR8", None, None, None],
    ["sam.coord@leedsth.nhs.uk", "Sam Coord", "coordinator", "RR8", None, None, "00DA"],
    ["a.lead@leeds.ac.uk", "Alex Lead", "hei_lead", "10007795", None, None, None],
    ["b.lead@leedsbeckett.ac.uk", "Bo Lead", "hei_lead", "Leeds Beckett University", None,
     None, None],
    ["c.lead@bradford.ac.uk", "Cat Lead", "hei_lead", "University of Bradford", None, None, None],
    ["pat.ahp@leeds.gov.uk", "Pat Faculty", "faculty_lead", "Leeds City Council", None, None,
     None],
    ["dee@stgemma.co.uk", "Dee Hospice", "coordinator", "NQ4", None, None, None],
]  # fmt: skip
TARGETS = [["physio", "2026-27", 39, 120], ["OT", "2027/28", "10", None]]
FILLED = {
    "Organisations": ORGANISATIONS,
    "Sites": SITES,
    "Teams": TEAMS,
    "People": PEOPLE,
    "Targets": TARGETS,
}
# 6 organisations, 2 sites, 3 teams, 8 people, Sam's second coordinator role and 2 targets.
RECORDS = 6 + 2 + 3 + 8 + 1 + 2


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    printed = capsys.readouterr()
    return code, printed.out, printed.err


def _fill(template: Path, target: Path, sheets: dict[str, list[list[Any]]]) -> None:
    book = load_workbook(template)
    for name, rows in sheets.items():
        for row in rows:
            book[name].append(row)
    book.save(target)


async def _stored(url: str) -> dict[str, Any]:
    """Counts of every set-up record, and the roles held, as a test can compare whole."""
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            counts = {
                table.__tablename__: await session.scalar(select(func.count()).select_from(table))
                for table in (Organisation, EmailDomain, Site, Team, Person, RoleGrant, Target)
            }
            grants = await session.execute(
                select(Person.email, RoleGrant.role, Organisation.name)
                .join(RoleGrant, RoleGrant.person_id == Person.id)
                .outerjoin(Organisation, Organisation.id == RoleGrant.organisation_id)
            )
            edges = await session.execute(select(AuditEvent.edge).distinct())
            audits = await session.scalar(select(func.count()).select_from(AuditEvent))
            return counts | {
                "roles": sorted(tuple(row) for row in grants),
                "edges": sorted(edges.scalars()),
                "audit_events": audits,
            }
    finally:
        await engine.dispose()


EMPTY = {
    "organisations": 0, "email_domains": 0, "sites": 0, "teams": 0, "people": 0,
    "role_grants": 0, "targets": 0, "roles": [], "edges": [], "audit_events": 0,
}  # fmt: skip
ROLES = sorted(
    [
        ("a.lead@leeds.ac.uk", "hei_lead", "University of Leeds"),
        ("b.lead@leedsbeckett.ac.uk", "hei_lead", "Leeds Beckett University"),
        ("c.lead@bradford.ac.uk", "hei_lead", "University of Bradford"),
        ("dee@stgemma.co.uk", "coordinator", "St Gemma's Hospice"),
        ("jo.physio@leedsth.nhs.uk", "clinician", "Leeds Teaching Hospitals NHS Trust"),
        ("kim.ot@leedsth.nhs.uk", "clinician", "Leeds Teaching Hospitals NHS Trust"),
        ("pat.ahp@leeds.gov.uk", "faculty_lead", "Leeds City Council"),
        ("sam.coord@leedsth.nhs.uk", "coordinator", "Leeds City Council"),
        ("sam.coord@leedsth.nhs.uk", "coordinator", "Leeds Teaching Hospitals NHS Trust"),
    ]
)


def test_a_filled_in_template_imports_and_round_trips(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    template, filled = tmp_path / "template.xlsx", tmp_path / "faculty.xlsx"
    code, out, _ = _run(capsys, "setup", "template", str(template))
    assert code == 0 and "Wrote the faculty workbook template" in out
    made = load_workbook(template)
    assert made.sheetnames == ["README", "Organisations", "Sites", "Teams", "People", "Targets"]
    assert made["Organisations"]["C1"].value == "UKPRN (HEIs: 8 digits)"
    assert made["People"].freeze_panes == "A2"
    _fill(template, filled, FILLED)

    code, out, err = _run(capsys, "setup", "import", str(filled))
    assert code == 0, err
    lines = out.splitlines()
    assert "Would add HEI University of Leeds (UKPRN 10007795)." in lines
    assert "Would add provider Leeds Teaching Hospitals NHS Trust (RR8): email domains." in lines
    assert "Would add team Ward 12 Orthopaedics at Leeds Teaching Hospitals NHS Trust." in lines
    assert "Would add role coordinator for sam.coord@leedsth.nhs.uk at Leeds City Council." in lines
    assert "Would add target Physiotherapy (PT) 2026/27: 39 extra on a baseline of 120." in lines
    assert lines[-1] == (
        f"Dry run: {RECORDS} added, 0 updated, 0 unchanged. Nothing was changed; add --apply "
        "to make these changes."
    )
    assert len(lines) == RECORDS + 1
    assert asyncio.run(_stored(database_url)) == EMPTY

    code, out, err = _run(capsys, "setup", "import", str(filled), "--apply")
    assert code == 0, err
    assert out.splitlines()[-1] == f"Done: {RECORDS} added, 0 updated, 0 unchanged."
    assert out.splitlines()[:-1] == [line.replace("Would add", "Added") for line in lines[:-1]]
    stored = asyncio.run(_stored(database_url))
    assert stored | {"audit_events": 0} == {
        "organisations": 6, "email_domains": 2, "sites": 2, "teams": 3, "people": 8,
        "role_grants": 9, "targets": 2, "roles": ROLES, "edges": ["cli"], "audit_events": 0,
    }  # fmt: skip
    assert stored["audit_events"] >= RECORDS

    code, out, _ = _run(capsys, "setup", "import", str(filled), "--apply")
    assert code == 0
    assert out.splitlines()[-1] == f"Done: 0 added, 0 updated, {RECORDS} unchanged."
    assert asyncio.run(_stored(database_url)) == stored

    exported, again = tmp_path / "export.xlsx", tmp_path / "again.xlsx"
    assert _run(capsys, "setup", "export", str(exported))[0] == 0
    code, out, _ = _run(capsys, "setup", "import", str(exported))
    assert code == 0
    assert out.splitlines()[-1].startswith(f"Dry run: 0 added, 0 updated, {RECORDS} unchanged.")
    assert _run(capsys, "setup", "import", str(exported), "--apply")[0] == 0
    assert asyncio.run(_stored(database_url)) == stored
    assert _run(capsys, "setup", "export", str(again))[0] == 0
    assert read.read(again) == read.read(exported)


def test_a_workbook_with_bad_cells_is_refused_whole(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    template, bad = tmp_path / "template.xlsx", tmp_path / "bad.xlsx"
    assert _run(capsys, "setup", "template", str(template))[0] == 0
    sheets = {name: [list(row) for row in rows] for name, rows in FILLED.items()}
    sheets["Organisations"].append(["provider", "Another Trust", None, "RR8", "nhs_trust"])
    sheets["Teams"].append(["RR8", "Hand Therapy", None, "Basket weaving"])
    sheets["Teams"].append(["RR8", "Ward 9", "Nowhere General", "PT"])
    sheets["People"][1][0] = "kim.ot at leedsth"
    sheets["People"][4][1] = None
    _fill(template, bad, sheets)

    code, out, err = _run(capsys, "setup", "import", str(bad), "--apply")
    assert (code, out) == (2, "")
    messages = err.splitlines()
    assert messages[-1] == "placebot: 5 to put right; nothing was changed."
    where = [line.split(": ", 2)[1] for line in messages[:-1]]
    assert where == [
        "Organisations, row 8, column D (ODS code (providers, e.g. RR8))",
        "Teams, row 5, column D (Professions (e.g. PT, OT))",
        "Teams, row 6, column C (Site (name or ODS site code, optional))",
        "People, row 3, column A (Work email)",
        "People, row 6, column B (Name)",
    ]
    assert "Row 5 already has this ODS code" in messages[0]
    assert "I don't know the profession “Basket weaving”" in messages[1]
    assert "has no site “Nowhere General”" in messages[2]
    assert messages[2].endswith("Or add it on the Sites sheet.")
    assert "is not an email address" in messages[3]
    assert "This cell is empty" in messages[4]
    assert asyncio.run(_stored(database_url)) == EMPTY


def test_a_folder_of_csv_files_imports_like_the_workbook(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    template = tmp_path / "template.xlsx"
    assert _run(capsys, "setup", "template", str(template))[0] == 0
    headers = {name: [c.value for c in load_workbook(template)[name][1]] for name in FILLED}
    folder = tmp_path / "faculty"
    folder.mkdir()
    for name, rows in FILLED.items():
        with (folder / f"{name.lower()}.csv").open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(headers[name])
            writer.writerows([["" if v is None else v for v in row] for row in rows])

    code, out, err = _run(capsys, "setup", "import", str(folder), "--apply")
    assert code == 0, err
    assert out.splitlines()[-1] == f"Done: {RECORDS} added, 0 updated, 0 unchanged."
    assert asyncio.run(_stored(database_url))["roles"] == ROLES
    code, out, _ = _run(capsys, "setup", "import", str(folder))
    assert out.splitlines()[-1].startswith(f"Dry run: 0 added, 0 updated, {RECORDS} unchanged.")
