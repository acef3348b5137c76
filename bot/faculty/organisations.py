"""HEIs (keyed by UKPRN), providers (keyed by ODS code, with the email domains that identify
their staff) and providers' sites (keyed by ODS site code, else by name)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from bot.faculty import validate
from bot.faculty.changes import Change, Outcome, settle
from bot.faculty.lookups import find_organisation, kind_name, org_label, organisation_named
from bot.kernel import audit
from bot.kernel.context import Context
from bot.kernel.errors import Conflict, UserError
from bot.kernel.professions import join_codes
from storage.tables import EmailDomain, Organisation, Site

FIELD_NAMES = {"professions": "professions", "provider_type": "type", "ods_code": "ODS code"}


def _detail(changed: Sequence[str]) -> str:
    return ", ".join(FIELD_NAMES.get(key, key.replace("_", " ")) for key in changed)


async def _name_is_free(ctx: Context, name: str, owner: Organisation | None) -> None:
    other = await organisation_named(ctx, name)
    if other is not None and other is not owner:
        raise Conflict(
            f"{org_label(other)} already has the name “{name}”; two organisations cannot share a "
            "name. Use the full registered name, or change the other one first.",
            field="name",
        )


async def add_hei(
    ctx: Context, name: str, ukprn: str, professions: Sequence[str] | None = None
) -> Change:
    """Add an HEI, or update the one with this UKPRN (its name, and professions when given)."""
    name = validate.name(name, "HEI", "University of Leeds")
    ukprn = validate.ukprn(ukprn)
    values: dict[str, object] = {"name": name}
    if professions is not None:
        values["professions"] = join_codes(validate.profession_codes(professions))
    existing = (
        await ctx.session.execute(select(Organisation).where(Organisation.ukprn == ukprn))
    ).scalar_one_or_none()
    if existing is not None and existing.kind != "hei":
        raise Conflict(f"UKPRN {ukprn} belongs to {org_label(existing)}, which is not an HEI.")
    await _name_is_free(ctx, name, existing)
    new = Organisation(kind="hei", ukprn=ukprn, created_at=ctx.clock.now(), **values)
    hei, outcome, changed = await settle(ctx, existing, new, values, "organisation", ukprn)
    return Change(outcome, "HEI", org_label(hei), _detail(changed))


async def add_provider(
    ctx: Context,
    name: str,
    ods_code: str,
    provider_type: str,
    email_domains: Sequence[str] | None = None,
) -> Change:
    """Add a provider, or update the one with this ODS code; given domains replace its own."""
    name = validate.name(name, "provider", "Leeds Teaching Hospitals NHS Trust")
    ods_code = validate.ods_code(ods_code)
    values: dict[str, object] = {
        "name": name,
        "provider_type": validate.provider_type(provider_type),
    }
    domains = validate.email_domains(email_domains) if email_domains is not None else None
    existing = (
        await ctx.session.execute(select(Organisation).where(Organisation.ods_code == ods_code))
    ).scalar_one_or_none()
    if existing is not None and existing.kind != "provider":
        raise Conflict(f"ODS code {ods_code} belongs to {org_label(existing)}, an HEI.")
    await _name_is_free(ctx, name, existing)
    if domains:
        await _domains_are_free(ctx, domains, existing)
    new = Organisation(kind="provider", ods_code=ods_code, created_at=ctx.clock.now(), **values)
    provider, outcome, changed = await settle(ctx, existing, new, values, "organisation", ods_code)
    if domains is not None and await _replace_domains(ctx, provider, domains):
        changed.append("email domains")
        outcome = Outcome.ADDED if outcome is Outcome.ADDED else Outcome.UPDATED
    return Change(outcome, "provider", org_label(provider), _detail(changed))


async def _domains_are_free(ctx: Context, domains: list[str], owner: Organisation | None) -> None:
    rows = await ctx.session.execute(
        select(EmailDomain.domain, Organisation)
        .join(Organisation, Organisation.id == EmailDomain.organisation_id)
        .where(EmailDomain.domain.in_(domains))
    )
    for domain, other in rows:
        if other is not owner:
            raise Conflict(
                f"The email domain {domain} already identifies {org_label(other)}; a domain can "
                "identify only one provider.",
                field="email_domain",
            )


async def domains_of(ctx: Context, organisation: Organisation) -> list[str]:
    rows = await ctx.session.execute(
        select(EmailDomain.domain)
        .where(EmailDomain.organisation_id == organisation.id)
        .order_by(EmailDomain.domain)
    )
    return list(rows.scalars())


async def _replace_domains(ctx: Context, provider: Organisation, domains: list[str]) -> bool:
    """Make the provider's domains exactly `domains`; whether that changed anything."""
    before = await domains_of(ctx, provider)
    if before == domains:
        return False
    for row in (
        await ctx.session.execute(
            select(EmailDomain).where(EmailDomain.organisation_id == provider.id)
        )
    ).scalars():
        if row.domain not in domains:
            await ctx.session.delete(row)
    for domain in set(domains) - set(before):
        ctx.session.add(EmailDomain(organisation_id=provider.id, domain=domain))
    await ctx.session.flush()
    audit.record(
        ctx,
        "organisation.email_domains",
        "organisation",
        provider.ods_code or str(provider.id),
        {"email_domains": before},
        {"email_domains": domains},
    )
    return True


async def provider_for(ctx: Context, wanted: str, what: str) -> Organisation:
    """The provider named by `wanted`; sites and teams belong to providers, not HEIs."""
    organisation = await find_organisation(ctx, wanted)
    if organisation.kind != "provider":
        raise UserError(
            f"{org_label(organisation)} is an {kind_name(organisation)}; {what} belong to "
            "placement providers. Name the trust, council or other provider instead.",
            field="organisation",
        )
    return organisation


async def add_site(
    ctx: Context, organisation: str, name: str, ods_code: str | None = None
) -> Change:
    """Add a provider's site, or update the one with this ODS site code (else this name)."""
    provider = await provider_for(ctx, organisation, "sites")
    name = validate.name(name, "site", "St James's University Hospital")
    code = validate.ods_code(ods_code, site=True) if ods_code is not None else None
    by_name = (
        await ctx.session.execute(
            select(Site).where(
                Site.organisation_id == provider.id, func.lower(Site.name) == name.lower()
            )
        )
    ).scalar_one_or_none()
    existing = by_name
    if code is not None:
        by_code = (
            await ctx.session.execute(select(Site).where(Site.ods_code == code))
        ).scalar_one_or_none()
        if by_code is not None and by_code.organisation_id != provider.id:
            raise Conflict(
                f"The ODS site code {code} is already a site of another provider; check the code.",
                field="ods_code",
            )
        if by_code is not None and by_name is not None and by_code is not by_name:
            raise Conflict(
                f"{provider.name} already has a site “{by_name.name}” and another with the ODS "
                f"code {code}; give this site's own code, or another name.",
                field="name",
            )
        existing = by_code or by_name
    values: dict[str, object] = {"name": name}
    if code is not None:
        values["ods_code"] = code
    new = Site(organisation_id=provider.id, **values)
    ref = code or f"{provider.ods_code}/{name}"
    site, outcome, changed = await settle(ctx, existing, new, values, "site", ref)
    label = f"{site.name} ({site.ods_code}) at {provider.name}" if site.ods_code else site.name
    if not site.ods_code:
        label += f" at {provider.name}"
    return Change(outcome, "site", label, _detail(changed))
