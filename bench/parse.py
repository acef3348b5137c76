"""Reading offer lines: the whole grammar against dateutil on the same lines' dates alone.

    .venv/bin/python -m bench.parse [--rounds 50]

Every line of the corpus (tests/offers/corpus/offer_lines.yaml) is read by `read_offer_line`,
errors included, as a clinician's message would be. The baseline, measured in the same run, is
`dateutil.parser.parse` (day first) on the date phrases those lines contain (the start and end
texts the range pattern finds; the relative ones, which dateutil cannot read, are left out of
its share). Prints lines per second for each and the ratio. Target: the whole line at least as
fast as dateutil on its dates alone (ratio >= 1).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from pathlib import Path

import yaml
from dateutil import parser as dateutil_parser

from bot.kernel import dates
from bot.kernel.errors import UserError
from bot.offers.parsing import read_offer_line

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "offers" / "corpus" / "offer_lines.yaml"


def corpus() -> tuple[date, list[str]]:
    loaded = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return date.fromisoformat(loaded["today"]), [entry["line"] for entry in loaded["lines"]]


def date_phrases(line: str) -> list[str]:
    """The date texts in a line that dateutil itself can read."""
    found = dates.RANGE.search(line)
    if found is None:
        return []
    texts = [found[name] for name in ("start", "end", "after") if found[name]]
    readable = []
    for text in texts:
        try:
            dateutil_parser.parse(text, dayfirst=True)
        except (ValueError, OverflowError):
            continue
        readable.append(text)
    return readable


def best_times(works: list[Callable[[], None]], rounds: int) -> list[float]:
    """The best time of each piece of work over `rounds` passes, taken in turn so that a busy
    neighbour on a shared machine slows both alike rather than one."""
    best = [float("inf")] * len(works)
    for _ in range(rounds):
        for index, work in enumerate(works):
            began = time.perf_counter()
            work()
            best[index] = min(best[index], time.perf_counter() - began)
    return best


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    arguments.add_argument("--rounds", type=int, default=50)
    rounds = arguments.parse_args().rounds
    today, lines = corpus()
    phrases = [date_phrases(line) for line in lines]

    def grammar() -> None:
        for line in lines:
            with suppress(UserError):
                read_offer_line(line, today)

    def dateutil_alone() -> None:
        for texts in phrases:
            for text in texts:
                dateutil_parser.parse(text, dayfirst=True)

    grammar()  # compile the patterns before timing
    grammar_time, dateutil_time = best_times([grammar, dateutil_alone], rounds)
    whole, baseline = len(lines) / grammar_time, len(lines) / dateutil_time
    print(f"corpus: {len(lines)} lines, {sum(map(len, phrases))} date phrases dateutil reads")
    print(f"whole offer line (read_offer_line):      {whole:10,.0f} lines/s")
    print(f"dateutil.parser.parse on the dates alone: {baseline:10,.0f} lines/s")
    print(f"ratio (whole line / dateutil dates): {whole / baseline:.2f}x (target >= 1)")


if __name__ == "__main__":
    main()
