"""The platforms' published JSON schemas (see SOURCE.md), and validators for them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).parent


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """A validator for the schema in `name`, of the draft the schema names, checking formats."""
    schema = json.loads((HERE / name).read_text(encoding="utf-8"))
    kind = jsonschema.validators.validator_for(schema)
    kind.check_schema(schema)
    return kind(schema, format_checker=kind.FORMAT_CHECKER)


def problems(name: str, instance: Any) -> list[str]:
    """Every way `instance` breaks the schema, as "path: message" lines (empty: it keeps to it)."""
    found = validator(name).iter_errors(instance)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in found]


TEAMS_MANIFEST = "teams-v1.17.json"
ADAPTIVE_CARD = "adaptive-card-1.5.json"
SLACK_MANIFEST = "slack-app-manifest.json"
