"""Render a core `Reply` as an Adaptive Card (schema 1.5) and read card submissions back."""

from __future__ import annotations

import re
from typing import Any

from bot.kernel import links
from bot.kernel.messages import Button, Fact, Form, FormField, Image, Item, Reply

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
TONE_COLOUR = {"error": "Attention", "success": "Good", "info": "Default"}
MAX_INLINE_IMAGE = 20_000  # base64 characters, leaving room in Teams' 28 KB for the rest
# What Teams reads as markdown in a TextBlock or FactSet: emphasis, links and the backslash.
_MARKDOWN = re.compile(r"[\\*_\[\]]|(?<=\])\(")


def shown(text: str) -> str:
    """Text as it was written, not as markdown: a person's `[Confirm](https://x)` or
    `**urgent**` shows literally. A backslash escape is what Teams honours; the `(` after a
    `]` is escaped too, so even a reader that ignores escapes finds no `](` to make a link."""
    return _MARKDOWN.sub(lambda mark: "\\" + mark.group(0), text)


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": shown(text), **style}


def _facts(facts: tuple[Fact, ...]) -> list[dict[str, Any]]:
    if not facts:
        return []
    pairs = [{"title": shown(f.label), "value": shown(f.value)} for f in facts]
    return [{"type": "FactSet", "facts": pairs}]


def _action(button: Button) -> dict[str, Any] | None:
    """The button as a card action; a link button only when its link is safe."""
    if button.url:
        if not links.is_safe(button.url):
            return None  # stored before links were checked: show the rest of the card
        return {"type": "Action.OpenUrl", "title": button.label, "url": button.url}
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": button.label,
        "verb": button.action,
        "data": {"action": button.action, "value": button.value},
    }
    if button.style == "primary":
        action["style"] = "positive"
    elif button.style == "danger":
        action["style"] = "destructive"
    return action


def _actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    actions = _card_actions(buttons)
    return [{"type": "ActionSet", "actions": actions}] if actions else []


def _card_actions(buttons: tuple[Button, ...]) -> list[dict[str, Any]]:
    return [action for b in buttons if (action := _action(b)) is not None]


def _image(image: Image) -> list[dict[str, Any]]:
    """Inline, as a data URI: Teams shows base64 PNGs in cards, and the chart needs no host.
    Teams refuses messages over about 28 KB, so a bigger chart is told in words (its alt
    text) rather than lose the whole message."""
    if len(image.png_base64) > MAX_INLINE_IMAGE:
        return [_text(f"{image.title}: {image.alt}", wrap=True)]
    return [
        {
            "type": "Image",
            "url": f"data:image/png;base64,{image.png_base64}",
            "altText": image.alt,
            "size": "Stretch",
        },
        _text(image.title, isSubtle=True, wrap=True, spacing="None"),
    ]


def _item(item: Item) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = [_text(item.title, weight="Bolder", wrap=True)]
    if item.text:
        body.append(_text(item.text, wrap=True))
    body += _facts(item.facts) + _actions(item.buttons)
    return [{"type": "Container", "separator": True, "spacing": "Medium", "items": body}]


def _input(field: FormField) -> list[dict[str, Any]]:
    common: dict[str, Any] = {
        "id": field.name,
        "label": field.label,
        "isRequired": field.required,
        "value": field.value,
    }
    if field.error:
        common["errorMessage"] = field.error
    if field.kind == "select":
        choices = [{"title": label, "value": value} for value, label in field.options]
        element = {"type": "Input.ChoiceSet", "choices": choices, "style": "compact", **common}
    else:
        element = {
            "type": "Input.Text",
            "isMultiline": field.kind == "textarea",
            "placeholder": field.hint,
            **common,
        }
    parts: list[dict[str, Any]] = [element]
    if field.error:  # errorMessage shows only after client validation; say it plainly too
        parts.append(_text(field.error, color="Attention", wrap=True, spacing="None"))
    return parts


def _form(form: Form) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    body: list[dict[str, Any]] = [_text(form.title, size="Medium", weight="Bolder")]
    for field in form.fields:
        body += _input(field)
    data = {"form_id": form.form_id, **dict(form.hidden)}
    submit = {
        "type": "Action.Execute",
        "title": form.submit_label,
        "verb": form.form_id,
        "data": data,
        "style": "positive",
    }
    return body, [submit]


def card(reply: Reply) -> dict[str, Any]:
    body: list[dict[str, Any]] = [_text(reply.text, wrap=True, color=TONE_COLOUR[reply.tone])]
    if reply.image is not None:
        body += _image(reply.image)
    body += _facts(reply.facts)
    for item in reply.items:
        body += _item(item)
    actions = _card_actions(reply.buttons)
    if reply.form is not None:
        form_body, form_actions = _form(reply.form)
        body += form_body
        actions += form_actions
    content: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    if actions:
        content["actions"] = actions
    return content


def attachment(reply: Reply) -> dict[str, Any]:
    return {"contentType": CARD_TYPE, "content": card(reply)}


def submission(data: dict[str, Any]) -> tuple[str | None, str, str | None, dict[str, str]]:
    """(action, value, form_id, form values) from a card's submitted data."""
    values = {str(k): "" if v is None else str(v) for k, v in data.items()}
    form_id = values.pop("form_id", None)
    action = values.pop("action", None)
    value = values.pop("value", "")
    values.pop("msteams", None)
    return action, value, form_id, values
