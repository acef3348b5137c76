"""Where the project is, for tests that start its processes or read its source."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
