"""One-line offers: words that belong to a place name stay in it."""

from __future__ import annotations

from datetime import date

import pytest

from bot.offers.parsing import parse_offer_line

TODAY = date(2026, 11, 23)
DATES = "PT 1 Feb - 12 Mar 2027 2 students"


@pytest.mark.parametrize(
    ("tail", "place", "model", "level"),
    [
        ("at Peer Support Team", "Peer Support Team", None, None),
        ("at Hybrid Ward", "Hybrid Ward", None, None),
        ("at Year 1 Unit, City Hospital", "Year 1 Unit, City Hospital", None, None),
        ("at the Model Unit", "the Model Unit", None, None),
        ("at Ward 12 peer", "Ward 12", "peer", None),
        ("at Ward 12 year 2", "Ward 12", None, "year_2"),
        ("year 2 at Ward 12 model 2:1", "Ward 12", "2:1", "year_2"),
        ("at Ward 12, City Hospital level MSc", "Ward 12, City Hospital", None, "msc"),
    ],
)
def test_place_names_keep_their_words(
    tail: str, place: str, model: str | None, level: str | None
) -> None:
    draft = parse_offer_line(f"{DATES} {tail}", TODAY)
    assert (draft.place, draft.supervision_model, draft.student_level) == (place, model, level)
