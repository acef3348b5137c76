"""Targets, keyed by (profession, academic year): the extra placements planned on top of a
baseline (the placements that year would have had anyway), as the faculty summary measures."""

from __future__ import annotations

from sqlalchemy import select

from bot.faculty import validate
from bot.faculty.callers import require_faculty_lead
from bot.faculty.changes import Change, settle
from bot.kernel import professions
from bot.kernel.context import Context
from storage.tables import Target

FIELD_NAMES = {"extra_placements": "extra placements"}


async def set_target(
    ctx: Context, profession: str, year: str, extra: int | str, baseline: int | str | None = None
) -> Change:
    """Set a year's target for a profession; without a baseline, any baseline set is kept."""
    require_faculty_lead(ctx)
    code = professions.resolve(profession).code
    label_year = validate.academic_year(year)
    values: dict[str, object] = {"extra_placements": validate.count(extra, "extra placements")}
    if baseline is not None:
        values["baseline"] = validate.count(baseline, "baseline placements")
    existing = (
        await ctx.session.execute(
            select(Target).where(Target.profession == code, Target.academic_year == label_year)
        )
    ).scalar_one_or_none()
    new = Target(profession=code, academic_year=label_year, **values)
    target, outcome, changed = await settle(
        ctx, existing, new, values, "target", f"{code} {label_year}"
    )
    on = f" on a baseline of {target.baseline}" if target.baseline is not None else ""
    label = f"{professions.profession_name(code)} {label_year}: {target.extra_placements} extra{on}"
    return Change(outcome, "target", label, ", ".join(FIELD_NAMES.get(k, k) for k in changed))
