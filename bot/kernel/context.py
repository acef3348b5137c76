"""What every service call carries: the open transaction, who acts, through which edge, and when."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.clock import Clock
from bot.kernel.errors import UserError
from config.settings import Settings
from storage.tables import Person


@dataclass
class Context:
    session: AsyncSession
    person: Person | None  # None for system jobs and imports
    clock: Clock
    settings: Settings
    edge: str  # "slack", "teams", "local", "api", "cli", "system", "link" (a signed link)

    @property
    def actor_id(self) -> int | None:
        return self.person.id if self.person else None

    def require_person(self) -> Person:
        """The acting person; edges without one (imports, jobs) cannot do personal things."""
        if self.person is None:
            raise UserError("Only a person can do that; this request came from no one.")
        return self.person
