"""The offer-line corpus: what clinicians type, and what each line must give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CORPUS = Path(__file__).with_name("offer_lines.yaml")


def load() -> dict[str, Any]:
    return yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
