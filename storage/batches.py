"""Long id lists in slices, so an `IN (...)` stays inside both databases' parameter limits
(SQLite and asyncpg allow about 32,000) however many people there are."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
IN_LIST = 5000


def batches(values: Iterable[T], size: int = IN_LIST) -> Iterator[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
