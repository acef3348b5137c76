"""Who was asked for a block and what each answered: every team of the block's profession as
offering (with the places it offers), maybe (with the date to ask again), no capacity, or silent.

A team is asked when it lists the block's profession; a team that answered or offered without
listing it is shown too. A team is *offering* when it has live offers counted against the block
by the one demand rule (`bot.blocks.demand`: the block an offer names, else its best fit);
otherwise its recorded answer stands (an "offering" answer whose offers were all withdrawn shows
as offering 0 places); a team with neither is *silent*. Silent is never shown as no capacity:
missing data must not look like zero.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.blocks.demand import BlockDemand, counted_places
from bot.kernel.professions import split_codes
from storage.tables import CapacityAnswer, Organisation, PlacementOffer, Team

STATES = ("offering", "maybe", "no_capacity", "silent")
WORDS = {"offering": "offering", "maybe": "maybe", "no_capacity": "no capacity", "silent": "silent"}


@dataclass(frozen=True)
class TeamAnswer:
    team_id: int
    team: str
    provider: str
    provider_id: int
    state: str  # one of STATES
    places: int = 0
    ask_again_on: date | None = None


@dataclass(frozen=True)
class AnswerCounts:
    offering: int = 0
    maybe: int = 0
    no_capacity: int = 0
    silent: int = 0

    def as_dict(self) -> dict[str, int]:
        return {state: getattr(self, state) for state in STATES}

    def words(self) -> str:
        return ", ".join(f"{getattr(self, s)} {WORDS[s]}" for s in STATES)


async def _places_by_team(
    session: AsyncSession, blocks: Sequence[BlockDemand]
) -> dict[int, dict[int | None, int]]:
    """Per block, per team: the places of the team's live offers counted against the block."""
    return await counted_places(
        session,
        [b.block_id for b in blocks],
        sorted({b.profession for b in blocks}),
        (min(b.start for b in blocks), max(b.end for b in blocks)),
        by=PlacementOffer.team_id,
    )


async def team_answers(
    session: AsyncSession,
    blocks: Sequence[BlockDemand],
    providers: frozenset[int] | None = None,
) -> dict[int, list[TeamAnswer]]:
    """Each block's teams and their answers, in four statements however many blocks; only the
    teams of `providers` when given (a coordinator's own)."""
    if not blocks:
        return {}
    team_rows = select(Team.id, Team.name, Team.professions, Organisation.id, Organisation.name)
    team_rows = team_rows.join(Organisation, Organisation.id == Team.organisation_id)
    if providers is not None:
        team_rows = team_rows.where(Team.organisation_id.in_(sorted(providers)))
    teams = (await session.execute(team_rows.order_by(Organisation.name, Team.name))).all()
    recorded: dict[tuple[int, int], tuple[str, date | None]] = {}
    for block_id, team_id, answer, again in await session.execute(
        select(
            CapacityAnswer.block_id,
            CapacityAnswer.team_id,
            CapacityAnswer.answer,
            CapacityAnswer.ask_again_on,
        ).where(
            CapacityAnswer.block_id.in_([b.block_id for b in blocks]),
            CapacityAnswer.team_id.is_not(None),
        )
    ):
        recorded[(block_id, team_id)] = (answer, again)
    places = await _places_by_team(session, blocks)
    found: dict[int, list[TeamAnswer]] = {}
    for block in blocks:
        offered = places.get(block.block_id, {})
        listed: list[TeamAnswer] = []
        for team_id, name, codes, org_id, org in teams:
            answer, again = recorded.get((block.block_id, team_id), (None, None))
            asked = block.profession in split_codes(codes)
            if not (asked or answer or offered.get(team_id)):
                continue
            state = "offering" if offered.get(team_id) else answer or "silent"
            listed.append(
                TeamAnswer(
                    team_id,
                    name,
                    org,
                    org_id,
                    state,
                    offered.get(team_id, 0),
                    again if state == "maybe" else None,
                )
            )
        found[block.block_id] = listed
    return found


def counts(answers: Sequence[TeamAnswer]) -> AnswerCounts:
    tally = Counter(answer.state for answer in answers)
    return AnswerCounts(**{state: tally.get(state, 0) for state in STATES})


async def answer_counts(
    session: AsyncSession, blocks: Sequence[BlockDemand]
) -> dict[int, AnswerCounts]:
    """How many teams answered each block which way (for digests, the API, the report page)."""
    found = await team_answers(session, blocks)
    return {block_id: counts(answers) for block_id, answers in found.items()}
