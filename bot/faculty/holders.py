"""Who holds which role: the faculty leads, coordinators and HEI leads by name and where they
act, and the clinicians only counted (there are hundreds, and every newcomer is one)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import distinct, func, select

from bot.faculty.callers import require_faculty_lead
from bot.faculty.lookups import org_label
from bot.kernel.context import Context
from storage.tables import Organisation, Person, RoleGrant

LISTED_ROLES = ("faculty_lead", "coordinator", "hei_lead")


@dataclass(frozen=True)
class Holder:
    role: str
    name: str
    email: str | None
    at: str | None  # the organisation's label; None for a faculty-wide faculty lead


@dataclass(frozen=True)
class RoleHolders:
    holders: tuple[Holder, ...]  # LISTED_ROLES in order, then by organisation and name
    clinicians: int

    def count(self, role: str) -> int:
        return sum(1 for holder in self.holders if holder.role == role)


async def role_holders(ctx: Context, organisation: Organisation | None = None) -> RoleHolders:
    """Every grant of a listed role, at `organisation` only when one is given."""
    require_faculty_lead(ctx)
    rows = select(RoleGrant.role, Person.display_name, Person.email, Organisation).select_from(
        RoleGrant
    )
    rows = rows.join(Person, Person.id == RoleGrant.person_id).outerjoin(
        Organisation, Organisation.id == RoleGrant.organisation_id
    )
    clinicians = select(func.count(distinct(RoleGrant.person_id))).where(
        RoleGrant.role == "clinician"
    )
    if organisation is not None:
        rows = rows.where(RoleGrant.organisation_id == organisation.id)
        clinicians = clinicians.where(RoleGrant.organisation_id == organisation.id)
    found = await ctx.session.execute(
        rows.where(RoleGrant.role.in_(LISTED_ROLES)).order_by(
            Organisation.name.is_not(None), Organisation.name, Person.display_name, Person.id
        )
    )
    holders = [
        Holder(role, name, email, org_label(org) if org else None)
        for role, name, email, org in found
    ]
    holders.sort(key=lambda holder: LISTED_ROLES.index(holder.role))  # stable: keeps the order
    return RoleHolders(tuple(holders), (await ctx.session.execute(clinicians)).scalar_one())
