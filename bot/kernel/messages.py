"""The core's vocabulary with the edges: a `Command` comes in, a `Reply` goes out.

Adapters translate platform payloads into these and render replies their own way
(Block Kit, Adaptive Cards, HTML); nothing here knows which platform is speaking.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Tone = Literal["info", "success", "error"]


@dataclass(frozen=True)
class Actor:
    """Who is speaking, as the platform knows them."""

    platform: str  # "slack", "teams", "local", "email", "api", "cli"
    external_id: str
    tenant: str = ""
    display_name: str = ""
    email: str | None = None
    # Other names the platform shows for them (a Slack handle, a Slack display name).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """One thing a person asked for: typed words, a button press or a submitted form."""

    actor: Actor
    text: str = ""
    action: str | None = None  # e.g. "offer.withdraw"
    value: str = ""  # the button's value, e.g. "PL-2027-0042:3"
    form_id: str | None = None  # e.g. "offer.create"
    form_values: dict[str, str] = field(default_factory=dict)
    # The platform's id for this delivery (trigger id, event id): a second delivery with the
    # same key is recognised and does nothing.
    delivery_key: str | None = None


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None
    url: str | None = None  # a link button opens this instead of calling back


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Item:
    """One entry in a list reply (an offer, a block, a training event)."""

    title: str
    facts: tuple[Fact, ...] = ()
    buttons: tuple[Button, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Literal["text", "date", "number", "select", "textarea"] = "text"
    required: bool = False
    value: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value, label)
    hint: str = ""
    error: str = ""


@dataclass(frozen=True)
class Form:
    form_id: str
    title: str
    submit_label: str
    fields: tuple[FormField, ...]
    hidden: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Image:
    """A picture with a reply (the weekly summary's chart). PNG as base64, so a Reply stays
    JSON and can wait in the outbox; each adapter shows it its own way."""

    title: str
    alt: str
    png_base64: str


@dataclass(frozen=True)
class Reply:
    """What the bot says back. `private` replies are shown only to the asker where possible."""

    text: str
    tone: Tone = "info"
    facts: tuple[Fact, ...] = ()
    items: tuple[Item, ...] = ()
    buttons: tuple[Button, ...] = ()
    form: Form | None = None
    private: bool = False
    image: Image | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """The reply `to_dict` gave (as stored in the outbox)."""

        def facts(raw: list[dict[str, str]]) -> tuple[Fact, ...]:
            return tuple(Fact(**fact) for fact in raw)

        def buttons(raw: list[dict[str, Any]]) -> tuple[Button, ...]:
            return tuple(Button(**button) for button in raw)

        form = data.get("form")
        image = data.get("image")
        return cls(
            text=data["text"],
            tone=data.get("tone", "info"),
            facts=facts(data.get("facts", [])),
            items=tuple(
                Item(item["title"], facts(item["facts"]), buttons(item["buttons"]), item["text"])
                for item in data.get("items", [])
            ),
            buttons=buttons(data.get("buttons", [])),
            form=None
            if form is None
            else Form(
                form["form_id"],
                form["title"],
                form["submit_label"],
                tuple(
                    FormField(**{**f, "options": tuple(tuple(o) for o in f["options"])})
                    for f in form["fields"]
                ),
                tuple(tuple(pair) for pair in form["hidden"]),
            ),
            private=data.get("private", False),
            image=Image(**image) if image else None,
        )
