"""The `placebot` command line: migrate, refusing to serve behind head, importing and exporting."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters import cli
from bot import demo
from bot.chat.placebot import PlaceBot
from bot.kernel.clock import FixedClock
from bot.kernel.messages import Actor, Command
from bot.training.events import to_ics
from config.demo import EDUCATOR_EVENTS_CSV
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.tables import PlacementOffer, TrainingEvent


@pytest.fixture
def use_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def run(coroutine):
    return asyncio.run(coroutine)


async def _count(url: str, table: type) -> int:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return (await session.execute(select(func.count()).select_from(table))).scalar_one()
    finally:
        await engine.dispose()


def qa_series_ics(tmp_path: Path) -> Path:
    """The 15 Placement Educator Q&A sessions, re-dated into the coming months, as iCalendar."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    events = [
        e for e in demo.redated_training(datetime.now(UTC).date(), settings) if "Q&A" in e.title
    ]
    path = tmp_path / "placement-educator-qa.ics"
    path.write_bytes(to_ics(events))
    return path


def test_importing_the_15_event_calendar_twice_leaves_15_events(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = qa_series_ics(tmp_path)
    assert cli.main(["import", "training", str(path)]) == 0
    assert "15 new" in capsys.readouterr().out
    assert cli.main(["import", "training", str(path)]) == 0
    assert "0 new, 0 updated, 15 unchanged" in capsys.readouterr().out
    assert run(_count(use_database, TrainingEvent)) == 15

    async def listed() -> int:
        engine = make_engine(use_database)
        bot = PlaceBot(
            make_sessionmaker(engine), Settings(database_url=use_database, _env_file=None)
        )  # type: ignore[call-arg]
        reply = await bot.handle(Command(Actor("local", "someone"), text="training PT"))
        await engine.dispose()
        return len(reply.items)

    assert run(listed()) == 15


def test_a_changed_event_is_updated_not_duplicated(use_database: str, tmp_path: Path) -> None:
    path = qa_series_ics(tmp_path)
    cli.main(["import", "training", str(path)])
    path.write_bytes(
        path.read_bytes().replace(b"Placement Educator Q&A", b"Placement Educator Q&A (moved)", 1)
    )
    assert cli.main(["import", "training", str(path)]) == 0
    assert run(_count(use_database, TrainingEvent)) == 15


def test_the_faculty_csv_imports_with_uk_times(
    use_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", "training", str(EDUCATOR_EVENTS_CSV)]) == 0
    assert "22 new" in capsys.readouterr().out

    async def first_event() -> TrainingEvent:
        engine = make_engine(use_database)
        async with make_sessionmaker(engine)() as session:
            event = (
                await session.execute(
                    select(TrainingEvent).order_by(TrainingEvent.starts_at).limit(1)
                )
            ).scalar_one()
        await engine.dispose()
        return event

    event = run(first_event())
    # 20 Aug 2020 15:00 in London is 14:00 UTC (BST).
    assert event.starts_at == datetime(2020, 8, 20, 14, 0, tzinfo=UTC)
    assert event.booking_note == "Eventbrite"


def test_a_missing_or_broken_file_is_reported(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["import", "training", str(tmp_path / "nope.ics")]) == 1
    assert "No file at" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("title,organiser,date,start,end\nX,Y,31/02/2027,10:00,11:00\n")
    assert cli.main(["import", "training", str(bad)]) == 1
    assert "Row 2" in capsys.readouterr().err
    assert run(_count(use_database, TrainingEvent)) == 0


def test_export_writes_rfc4180_csv_with_formula_cells_neutralised(
    use_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def post_offers() -> None:
        engine = make_engine(use_database)
        sessions = make_sessionmaker(engine)
        settings = Settings(database_url=use_database, _env_file=None)  # type: ignore[call-arg]
        clock = FixedClock(at=datetime.now(UTC))
        async with sessions.begin() as session:
            await demo.load(session, clock, settings)
        bot = PlaceBot(sessions, settings, clock)
        start = clock.today() + timedelta(days=30)
        dates = f"{start:%d/%m/%Y} - {start + timedelta(days=40):%d/%m/%Y}"
        for place in ('=HYPERLINK("http://evil")', 'Ward 12, "Nightingale"', "@SUM(A1)", "-1+1"):
            reply = await bot.handle(
                Command(
                    Actor("local", "stroke-physio"),
                    text=f"placement offer PT {dates} 2 students at {place}",
                )
            )
            assert reply.tone == "success", reply.text
        await engine.dispose()

    run(post_offers())
    out = tmp_path / "placements.csv"
    assert cli.main(["export", "placements", "--output", str(out)]) == 0
    raw = out.read_bytes()
    assert raw.count(b"\r\n") == 5  # header and four rows, CRLF as RFC 4180 says
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert list(rows[0])[:4] == ["ref", "profession", "status", "start_date"]
    assert [row["place"] for row in rows] == [
        '\'=HYPERLINK("http://evil")',
        'Ward 12, "Nightingale"',
        "'@SUM(A1)",
        "'-1+1",
    ]
    assert {row["weeks"] for row in rows} == {"6"}
    assert cli.main(["export", "placements"]) == 0
    assert capsys.readouterr().out.startswith("ref,profession,status")
    excel = tmp_path / "for-excel.csv"
    assert cli.main(["export", "placements", "--excel", "-o", str(excel)]) == 0
    assert excel.read_bytes() == b"\xef\xbb\xbf" + raw  # the same rows, a BOM first


def test_migrate_then_serve_refuses_a_database_behind_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/fresh.db")
    assert cli.main(["serve"]) == 1
    assert "Run `placebot migrate` first" in capsys.readouterr().err
    assert cli.main(["migrate"]) == 0
    assert "latest migration" in capsys.readouterr().out
    assert run(_count(f"sqlite+aiosqlite:///{tmp_path}/fresh.db", PlacementOffer)) == 0


def test_an_invalid_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PORT", "0")
    assert cli.main(["serve"]) == 2
    assert "PORT: Input should be greater than or equal to 1" in capsys.readouterr().err


def test_a_half_configured_adapter_stops_start_up_naming_the_variable(
    use_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "secret")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert cli.main(["serve"]) == 1
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


def test_serve_on_a_port_that_is_taken_says_so_and_exits(tmp_path: Path) -> None:
    """Not a traceback, and not a process left hanging on the database's threads."""
    import os
    import socket
    import subprocess
    import sys

    url = f"sqlite+aiosqlite:///{tmp_path / 'placebot.db'}"
    env = os.environ | {"DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "adapters.cli", "migrate"], env=env, check=True)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = subprocess.run(
            [sys.executable, "-m", "adapters.cli", "serve"],
            env=env | {"HOST": "127.0.0.1", "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert served.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in served.stderr
    assert "Traceback" not in served.stderr
