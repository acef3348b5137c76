"""Speaking to the bot as a person, and reading its Replies."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.chat.placebot import PlaceBot
from bot.kernel.messages import Actor, Button, Command, Form, Reply
from storage.tables import Base


class Chat:
    """Speak to the bot as a person, the way every adapter does, and get the Reply back."""

    def __init__(self, bot: PlaceBot) -> None:
        self.bot = bot

    @staticmethod
    def actor(who: str, name: str = "") -> Actor:
        return Actor(platform="local", external_id=who, display_name=name)

    async def say(self, who: str, words: str, name: str = "") -> Reply:
        return await self.bot.handle(Command(self.actor(who, name), text=words))

    async def press(self, who: str, button: Button) -> Reply:
        return await self.bot.handle(
            Command(self.actor(who), action=button.action, value=button.value)
        )

    async def submit(self, who: str, form: Form, **values: str) -> Reply:
        filled = {field.name: field.value for field in form.fields} | dict(form.hidden) | values
        return await self.bot.handle(
            Command(self.actor(who), form_id=form.form_id, form_values=filled)
        )

    async def count(self, table: type[Base]) -> int:
        async with self.bot.sessions() as session:
            return (await session.execute(select(func.count()).select_from(table))).scalar_one()


def fact(reply: Reply, label: str) -> str:
    """The value of the fact with this label, in a reply or its first item."""
    for found in reply.facts or (reply.items[0].facts if reply.items else ()):
        if found.label == label:
            return found.value
    raise AssertionError(f"no fact {label!r} in {reply}")


def button(reply: Reply, label: str, item: int | None = None) -> Button:
    buttons = reply.items[item].buttons if item is not None else reply.buttons
    for found in buttons:
        if found.label == label:
            return found
    raise AssertionError(f"no button {label!r} in {buttons}")
