"""Schemathesis hooks (SCHEMATHESIS_HOOKS) for the register API test: cursors of the document's
`placebot-cursor` format are generated as the server writes them, a change stamp and a record
id, so a well-formed cursor is one the server can read, as the document says."""

from __future__ import annotations

from datetime import UTC, datetime

import schemathesis
from hypothesis import strategies as st

from adapters.register_api.openapi import CURSOR_FORMAT
from bot.register.queries import MAX_ID, Position

schemathesis.openapi.format(
    CURSOR_FORMAT,
    st.builds(
        lambda at, record_id: Position(at, record_id).encode(),
        st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
        st.integers(min_value=1, max_value=MAX_ID),
    ),
)
