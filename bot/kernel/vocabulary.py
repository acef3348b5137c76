"""The fixed lists an offer chooses from: settings, supervision models, student levels."""

from __future__ import annotations

import re

SETTINGS: dict[str, str] = {
    "acute": "Acute",
    "community": "Community",
    "mental_health": "Mental health",
    "primary_care": "Primary care",
    "social_care": "Social care",
    "independent_voluntary": "Independent or voluntary",
    "role_emerging": "Role-emerging",
}
SUPERVISION_MODELS: dict[str, str] = {
    "1:1": "1:1 (one educator, one student)",
    "2:1": "2:1 (two students, one educator)",
    "3:1": "3:1 (three students, one educator)",
    "long-arm": "Long-arm",
    "peer": "Peer",
    "virtual": "Virtual or hybrid",
}
STUDENT_LEVELS: dict[str, str] = {
    "year_1": "Year 1",
    "year_2": "Year 2",
    "year_3": "Year 3",
    "msc": "MSc pre-registration",
}

_SETTING_WORDS = {
    "acute": "acute",
    "community": "community",
    "mental health": "mental_health",
    "mh": "mental_health",
    "primary care": "primary_care",
    "gp": "primary_care",
    "social care": "social_care",
    "independent": "independent_voluntary",
    "voluntary": "independent_voluntary",
    "private": "independent_voluntary",
    "pivo": "independent_voluntary",
    "role emerging": "role_emerging",
    "role-emerging": "role_emerging",
}
_MODEL_WORDS = {
    "1:1": "1:1",
    "2:1": "2:1",
    "3:1": "3:1",
    "long-arm": "long-arm",
    "long arm": "long-arm",
    "longarm": "long-arm",
    "peer": "peer",
    "virtual": "virtual",
    "hybrid": "virtual",
    "virtual/hybrid": "virtual",
}


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("_", " "))


def setting_code(text: str) -> str | None:
    key = _key(text)
    return _SETTING_WORDS.get(key) or (
        key.replace(" ", "_") if key.replace(" ", "_") in SETTINGS else None
    )


def model_code(text: str) -> str | None:
    return _MODEL_WORDS.get(_key(text))


def level_code(text: str) -> str | None:
    key = _key(text).replace(" ", "")
    if key in {"year1", "yr1", "y1", "1"}:
        return "year_1"
    if key in {"year2", "yr2", "y2", "2"}:
        return "year_2"
    if key in {"year3", "yr3", "y3", "3"}:
        return "year_3"
    if key.startswith("msc"):
        return "msc"
    return None


SETTING_WORD_PATTERN = "|".join(sorted(map(re.escape, _SETTING_WORDS), key=len, reverse=True))
MODEL_WORD_PATTERN = "|".join(sorted(map(re.escape, _MODEL_WORDS), key=len, reverse=True))
