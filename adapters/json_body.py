"""JSON bodies read the one way every edge reads them: an object, nested no deeper than any real
Slack, Teams, local chat or API body is. Python's parser recurses per bracket, so 12 KB of
brackets is a RecursionError, and a deep value reached later in a handler can be one too;
both are refused here, before anything else looks at the body."""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # an Adaptive Card action or a Slack view payload is under 12 deep


class BadJson(ValueError):
    """The body is not a JSON object we will read; the message says what to send instead."""


def depth(value: Any) -> int:
    """How deeply containers nest in `value`, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def parse(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """Any JSON value, nested at most `max_depth` deep."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadJson("The body must be JSON.") from None
    except RecursionError:
        raise BadJson(f"The JSON is nested too deeply (at most {max_depth} levels).") from None
    if depth(value) > max_depth:
        raise BadJson(f"The JSON is nested too deeply (at most {max_depth} levels).")
    return value


def parse_object(raw: bytes | str, max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    value = parse(raw, max_depth)
    if not isinstance(value, dict):
        raise BadJson("The body must be a JSON object.")
    return value
