"""An offer's statuses and the moves between them, and its requests' statuses: one Enum each,
and the register keeps to them."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from storage import lifecycle
from storage.lifecycle import IllegalMove, OfferStatus, RequestStatus
from storage.tables import PlacementOffer, PlacementRequest


def test_the_stored_words_are_the_enum_values() -> None:
    assert [s.value for s in OfferStatus] == [
        "offered",
        "requested",
        "confirmed",
        "completed",
        "withdrawn",
        "declined",
        "expired",
        "awaiting",
        "dropped",
    ]
    check = next(
        c for c in PlacementOffer.__table__.constraints if c.name == "ck_placement_offers_status"
    )
    assert str(check.sqltext) == (
        "status IN ('offered', 'requested', 'confirmed', 'completed', 'withdrawn', "
        "'declined', 'expired', 'awaiting', 'dropped')"
    )


def test_every_status_has_its_moves_and_ended_ones_have_none() -> None:
    assert set(lifecycle.TRANSITIONS) == set(OfferStatus)
    assert set(lifecycle.ENDED) == {"completed", "withdrawn", "declined", "expired", "dropped"}
    for status in lifecycle.LIVE:
        assert lifecycle.can_move(status, OfferStatus.WITHDRAWN)
    for status in lifecycle.ENDED:
        assert not any(lifecycle.can_move(status, to) for to in OfferStatus)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("offered", "requested"),
        ("requested", "confirmed"),
        ("confirmed", "completed"),
        ("requested", "offered"),  # its requests were declined
        ("offered", "expired"),
    ],
)
def test_a_move_the_lifecycle_allows_changes_the_status(start: str, to: str) -> None:
    offer = SimpleNamespace(status=start)
    lifecycle.move(offer, OfferStatus(to))
    assert offer.status == to


@pytest.mark.parametrize(
    ("start", "to"),
    [("withdrawn", "offered"), ("expired", "confirmed"), ("confirmed", "expired")],
)
def test_a_move_it_does_not_allow_is_refused_and_changes_nothing(start: str, to: str) -> None:
    offer = SimpleNamespace(status=start)
    with pytest.raises(IllegalMove, match=f"from {start} to {to}"):
        lifecycle.move(offer, OfferStatus(to))
    assert offer.status == start


def test_a_held_offer_is_never_public_and_only_released_or_dropped() -> None:
    assert set(lifecycle.NEVER_PUBLIC) == {"awaiting", "dropped"}
    assert set(lifecycle.PUBLIC) == set(OfferStatus) - set(lifecycle.NEVER_PUBLIC)
    for counted in (lifecycle.LIVE, lifecycle.COUNTED, lifecycle.UNCONFIRMED):
        assert not set(counted) & set(lifecycle.NEVER_PUBLIC)
    assert lifecycle.TRANSITIONS[OfferStatus.AWAITING] == {"offered", "dropped"}
    assert not lifecycle.can_move("awaiting", OfferStatus.WITHDRAWN)  # HEIs never saw it
    assert not lifecycle.has_expired("awaiting", date(2027, 2, 1), date(2027, 3, 1))


def test_an_unconfirmed_offer_expires_once_its_start_has_passed() -> None:
    start = date(2027, 2, 1)
    assert not lifecycle.has_expired("offered", start, date(2027, 2, 1))
    assert lifecycle.has_expired("offered", start, date(2027, 2, 2))
    assert lifecycle.has_expired("requested", start, date(2027, 2, 2))
    assert not lifecycle.has_expired("confirmed", start, date(2027, 3, 1))


def test_request_statuses_are_one_enum_and_the_table_keeps_to_it() -> None:
    assert [s.value for s in RequestStatus] == [
        "held",
        "pending",
        "confirmed",
        "declined",
        "cancelled",
    ]
    check = next(
        c
        for c in PlacementRequest.__table__.constraints
        if c.name == "ck_placement_requests_status"
    )
    assert str(check.sqltext) == (
        "status IN ('held', 'pending', 'confirmed', 'declined', 'cancelled')"
    )
    assert set(lifecycle.OPEN_REQUEST) == {"held", "pending"}
    assert set(lifecycle.ALLOCATED) == {"pending", "confirmed"}
