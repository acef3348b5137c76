"""NUH's practice-education coordinator, set up by work email beside the demo faculty, as the
Slack and Teams membership tests need them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.chat.placebot import PlaceBot
from storage.tables import Organisation, Person
from tests.support.builder import Builder

NUH = "Nottingham University Hospitals NHS Trust"
EMAIL = "practice.education@nuh.example"


async def nuh_coordinator(bot: PlaceBot, build: Builder, **identities: Any) -> Person:
    """Reached only where `identities` say (`slack=...`); Teams meets them by `EMAIL`."""
    async with bot.sessions() as session:
        nuh = (
            await session.execute(select(Organisation).where(Organisation.name == NUH))
        ).scalar_one()
    return await build.person(
        "NUH practice education coordinator", "coordinator", organisation=nuh, email=EMAIL,
        reachable=False, **identities,
    )  # fmt: skip
