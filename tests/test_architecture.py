"""The layers hold: the core stays platform-neutral and its packages import only downwards.

import-linter keeps the contracts in pyproject.toml (`make test` runs it); the tests below
show that they hold on the tree as it is and that each catches the import it forbids."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

FORBIDDEN = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "aiohttp", "adapters")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_never_imports_an_edge() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & set(FORBIDDEN))
        for path in (ROOT / "bot").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(offenders) > 10  # the scan really read the core


def test_storage_and_config_never_import_the_core_or_an_edge() -> None:
    for folder in ("storage", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            assert not imported_modules(path) & {"bot", "adapters", "aiohttp"}, path


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with this project's contracts on a copy of the project's packages."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("project")
    for package in ("adapters", "bot", "storage", "config"):
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_contracts_hold_on_the_tree_as_it_is(project_copy: Path) -> None:
    result = _lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # a lower package reaching up: offers must announce, not call nudges
        (
            "bot/offers/_upward.py",
            "from bot.nudges import withdrawal",
            "The core's packages import only downwards",
        ),
        # siblings stay apart
        (
            "bot/blocks/_sideways.py",
            "from bot.training import catalogue",
            "The core's packages import only downwards",
        ),
        (
            "bot/kernel/_platform.py",
            "import slack_bolt",
            "The core never imports a platform SDK or the HTTP server",
        ),
        # what bot/__init__.py loads for everyone must not pull the domain in with it
        (
            "bot/nudges/withdrawal.py",
            "from bot.offers import service",
            "The reactions the core connects on import reach only downwards",
        ),
        (
            "storage/_core.py",
            "from bot.kernel import clock",
            "Edges over core over storage over configuration",
        ),
    ],
)
def test_the_contracts_catch_a_forbidden_import(
    project_copy: Path, module: str, line: str, contract: str
) -> None:
    offender = project_copy / module
    original = offender.read_text() if offender.exists() else None
    if original is None:
        offender.write_text(f'"""A forbidden import, for the test."""\n\n{line}\n')
    else:
        offender.write_text(f"{original}\n{line}  # a forbidden import, for the test\n")
    try:
        result = _lint_imports(project_copy)
    finally:
        if original is None:
            offender.unlink()
        else:
            offender.write_text(original)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{contract} BROKEN" in result.stdout
    dotted = module.removesuffix(".py").replace("/", ".")
    assert dotted in result.stdout
