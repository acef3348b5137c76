"""The core stays platform-neutral: nothing in bot/ imports a platform SDK or the HTTP server."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
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
