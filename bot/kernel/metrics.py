"""What the core counts, behind a neutral interface: the core says `count("deliveries",
channel="slack", outcome="sent")` and never learns who keeps the figures. The edges install a
keeper (`adapters.metrics`, Prometheus) at start-up; until then counting costs nothing."""

from __future__ import annotations

from typing import Protocol


class Keeper(Protocol):
    def count(self, name: str, amount: float, labels: dict[str, str]) -> None: ...

    def observe(self, name: str, value: float, labels: dict[str, str]) -> None: ...


class _Nobody:
    def count(self, name: str, amount: float, labels: dict[str, str]) -> None:
        return None

    def observe(self, name: str, value: float, labels: dict[str, str]) -> None:
        return None


_keeper: Keeper = _Nobody()


def keep_with(keeper: Keeper) -> None:
    """Send every figure from now on to `keeper`."""
    global _keeper
    _keeper = keeper


def count(name: str, amount: float = 1, **labels: str) -> None:
    _keeper.count(name, amount, labels)


def observe(name: str, value: float, **labels: str) -> None:
    """A duration or size, in seconds or units, for a histogram."""
    _keeper.observe(name, value, labels)
