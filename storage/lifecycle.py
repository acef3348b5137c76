"""An offer's life: its statuses, the moves between them, and when an unconfirmed offer expires;
and the statuses of the HEI requests on it.

    offered -> requested (an HEI asked) -> confirmed (the provider said yes) -> completed
    offered | requested | confirmed -> withdrawn (the provider took it back)
    offered | requested -> expired (its start passed unconfirmed)

An offer naming a team its poster does not yet speak for starts *awaiting* (held: seen by its
poster and the team's coordinator only) and is either released as `offered` once the poster is
confirmed a member, or *dropped* (not ours, withdrawn or started while held): the two statuses of
offers that were never public, which the register API, digests and every count leave out.

Requests settle the middle of it: a request declined or cancelled can take `requested` or
`confirmed` back to `requested` or `offered` while places remain. This module sits in storage,
the lowest layer but configuration, because everything needs it: the table's CHECK constraint,
the register API's OpenAPI enum and filters, blocks and requests, the nudge rules and reports.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Protocol


class OfferStatus(StrEnum):
    """Stored as the plain word, so rows, the API and the CSV read the same as before."""

    OFFERED = "offered"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DECLINED = "declined"
    EXPIRED = "expired"
    AWAITING = "awaiting"
    DROPPED = "dropped"


OFFERED, REQUESTED, CONFIRMED, COMPLETED, WITHDRAWN, DECLINED, EXPIRED, AWAITING, DROPPED = (
    OfferStatus
)

# Where each status may go next. Terminal statuses go nowhere.
TRANSITIONS: dict[OfferStatus, frozenset[OfferStatus]] = {
    OFFERED: frozenset({REQUESTED, CONFIRMED, WITHDRAWN, EXPIRED}),
    REQUESTED: frozenset({OFFERED, CONFIRMED, DECLINED, WITHDRAWN, EXPIRED}),
    CONFIRMED: frozenset({OFFERED, REQUESTED, COMPLETED, WITHDRAWN}),
    COMPLETED: frozenset(),
    WITHDRAWN: frozenset(),
    DECLINED: frozenset(),
    EXPIRED: frozenset(),
    AWAITING: frozenset({OFFERED, DROPPED}),
    DROPPED: frozenset(),
}

# The sets the rest of the code asks about, named by the question; tuples in lifecycle order, so
# that an `IN (...)` built from one is the same statement in every process.
LIVE = (OFFERED, REQUESTED, CONFIRMED)
"""Still going to happen: shown to HEIs, counted against blocks, requestable, withdrawable."""
UNCONFIRMED = (OFFERED, REQUESTED)
"""Not yet promised to an HEI: its dates may still be edited, and it expires if it starts so."""
COUNTED = (*LIVE, COMPLETED)
"""Counted towards a faculty's target: every placement that is, or was, really offered."""
HELD = (AWAITING,)
"""Awaiting confirmation that its poster speaks for the team it names."""
NEVER_PUBLIC = (AWAITING, DROPPED)
PUBLIC = tuple(status for status in OfferStatus if status not in NEVER_PUBLIC)
"""What HEIs may see, in the register API, its CSV and the digests: every status but those of
offers that were never released."""
EDITABLE = (AWAITING, *UNCONFIRMED)
"""Its poster may still change it: held, or open and not yet promised to an HEI."""
ENDED = tuple(status for status, onward in TRANSITIONS.items() if not onward)
"""Where an offer's life ends: nothing can change its status again."""


class HasStatus(Protocol):
    status: str


class IllegalMove(ValueError):
    """A status change the lifecycle does not allow: a bug in the caller, never user input."""


def can_move(current: str, to: OfferStatus) -> bool:
    return to in TRANSITIONS[OfferStatus(current)]


def move(offer: HasStatus, to: OfferStatus) -> None:
    """Set the offer's status to `to`, which must be a move the lifecycle allows."""
    if not can_move(offer.status, to):
        raise IllegalMove(f"an offer cannot go from {offer.status} to {to}")
    offer.status = to


def has_expired(status: str, start: date, today: date) -> bool:
    """An unconfirmed offer expires once its start date has passed."""
    return status in UNCONFIRMED and start < today


class RequestStatus(StrEnum):
    """An HEI's request for places on an offer.

    held (asked before the offer's release time; settled fairly at release) -> pending (awaits
    the provider) -> confirmed | declined; a request still open when its offer is withdrawn or
    expires is cancelled.
    """

    HELD = "held"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


OPEN_REQUEST = (RequestStatus.HELD, RequestStatus.PENDING)
"""Not yet answered by the provider."""
ALLOCATED = (RequestStatus.PENDING, RequestStatus.CONFIRMED)
"""Holding places on the offer: what is left for other HEIs is the capacity less these."""
