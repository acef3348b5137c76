"""What the image and `compose.yaml` run, checked without a container engine (none runs here).

`compose.yaml` is held to the Compose Specification's JSON schema (vendored in
tests/compose_spec/ with its source) and to the Procfile: each process's command is the
Procfile's. Then the Procfile's own commands (release, web, worker), as the image's entry
point runs them, from the installed `placebot` on a PostgreSQL database made for the test:
the release migrates it, the web server is ready and answers a signed Slack command, the worker
takes the schedules. What is not exercised: building the image and starting it under an engine.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import jsonschema
import pytest
import yaml

from bot import demo
from bot.kernel.clock import Clock
from config.settings import Settings
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import pending_message, upgrade
from tests.conftest import _admin, fresh_postgres_database, missing_system_part
from tests.runtime.test_graceful_stop import (
    exit_code,
    free_port,
    placebot_env,
    read,
    readyz_ok,
    until,
)
from tests.support import slack_wire as wire
from tests.support.fakes.slack_api import FakeSlack
from tests.support.paths import ROOT
from tests.support.slack_rig import slack_environment

SCHEMA = Path(__file__).parent / "compose_spec" / "compose-spec.json"
PLACEBOT = Path(sys.executable).with_name("placebot")  # the installed console script


def compose() -> dict[str, object]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {
        name.strip(): shlex.split(command)
        for name, command in (line.split(":", 1) for line in lines if line.strip())
    }


def validator() -> jsonschema.Draft201909Validator:
    """The schema says draft 2019-09 (by a URL without the trailing path jsonschema knows)."""
    return jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text()))


def test_compose_yaml_meets_the_compose_specification() -> None:
    errors = [error.message for error in validator().iter_errors(compose())]
    assert errors == []


def test_the_schema_refuses_a_compose_file_with_a_mistake() -> None:
    broken = compose()
    broken["services"]["web"]["comand"] = ["serve"]  # type: ignore[index]
    assert not validator().is_valid(broken)


def test_each_compose_service_runs_its_procfile_command_through_the_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["placebot"]' in dockerfile
    assert "\nUSER placebot\n" in dockerfile  # not root
    services = compose()["services"]
    for name, command in procfile().items():
        assert command[0] == "placebot"
        assert services[name]["command"] == command[1:], name  # type: ignore[index]
    assert {"db", "web", "worker", "release"} <= set(services)  # type: ignore[arg-type]


@pytest.fixture
def own_database() -> Iterator[str]:
    with fresh_postgres_database("placebot_deploy") as url:
        yield url


async def run(command: list[str], env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    """A Procfile command as the image's entry point runs it: `placebot <verb>`."""
    assert command[0] == "placebot"
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            str(PLACEBOT), *command[1:], env=env, stdout=out, stderr=out, cwd="/"
        )


async def test_the_procfile_processes_start_from_the_installed_package_on_postgresql(
    own_database: str, tmp_path: Path
) -> None:
    commands = procfile()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeSlack() as slack, aiohttp.ClientSession() as http:
        env = placebot_env(own_database, PORT=str(port), **slack_environment(slack))
        release = await run(commands["release"], env, tmp_path / "release.log")
        assert await release.wait() == 0, read(tmp_path / "release.log")
        web = await run(commands["web"], env, tmp_path / "web.log")
        worker = await run(commands["worker"], env, tmp_path / "worker.log")
        try:
            await until(readyz_ok(http, base, web, tmp_path / "web.log"))
            body, kind = wire.slash_command("/placement", "help", slack.response_url("c1"))
            headers = wire.signed_headers(body) | {"Content-Type": kind}
            async with http.post(f"{base}/slack/events", data=body, headers=headers) as ack:
                assert ack.status == 200
                acked = await ack.json() if ack.content_type == "application/json" else {}
            said = str(acked.get("text", ""))
            if not said:
                await slack.wait_until(lambda: bool(slack.named("response:c1")), 20)
                said = slack.named("response:c1")[0].body["text"]
            assert said and not said.startswith("Sorry"), said

            async def leads() -> bool:
                assert worker.returncode is None, read(tmp_path / "worker.log")
                return "this worker runs the schedules" in read(tmp_path / "worker.log")

            await until(leads)
        finally:
            for process in (web, worker):
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            web_code, _ = await exit_code(web, tmp_path / "web.log")
            worker_code, _ = await exit_code(worker, tmp_path / "worker.log")
    assert web_code == 0, read(tmp_path / "web.log")
    assert worker_code == 0, read(tmp_path / "worker.log")


def libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump and pg_restore take it."""
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def tool(*command: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=False
    )


async def census(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from storage.tables import Organisation, Person, PlacementBlock

    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            return {
                table.__tablename__: int(
                    await session.scalar(select(func.count()).select_from(table)) or 0
                )
                for table in (Organisation, Person, PlacementBlock)
            }
    finally:
        await engine.dispose()


async def test_a_pg_dump_backup_restores_to_a_database_at_the_latest_migration(
    own_database: str, tmp_path: Path
) -> None:
    """The README's backup (pg_dump's custom format) and restore (pg_restore into an empty
    database), on this machine's PostgreSQL client and server."""
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        missing_system_part("pg_dump and pg_restore are not installed")
    engine = make_engine(own_database)
    try:
        await upgrade(engine)
        settings = Settings(database_url=own_database, _env_file=None)  # type: ignore[call-arg]
        async with make_sessionmaker(engine).begin() as session:
            await demo.load(session, Clock(zone=settings.timezone), settings)
    finally:
        await engine.dispose()
    backup = tmp_path / "placebot.dump"
    dumped = await tool("pg_dump", "--format=custom", f"--file={backup}", libpq(own_database))
    assert dumped.returncode == 0, dumped.stderr
    restored = own_database + "_restored"
    await _admin(f'CREATE DATABASE "{restored.rsplit("/", 1)[1]}"')
    try:
        loaded = await tool("pg_restore", "--no-owner", f"--dbname={libpq(restored)}", str(backup))
        assert loaded.returncode == 0, loaded.stderr
        check = make_engine(restored)
        try:
            assert await pending_message(check) is None  # at the latest migration
        finally:
            await check.dispose()
        before, after = await census(own_database), await census(restored)
        assert after == before
        assert after["people"] > 0
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{restored.rsplit("/", 1)[1]}" WITH (FORCE)')
