"""Render a core `Reply` as an Adaptive Card (schema 1.5) and read card submissions back.

Teams refuses a message (413 `MessageSizeTooBig`) above about 100 KB of activity counted in
UTF-16; Microsoft advises under 80 KB. So every activity is measured whole before it goes
(`activities`): an answer shows as many items as fit and says so (`adapters.fitting`), a
digest or summary from the outbox is split over further activities. A chart goes by the URL
PlaceBot serves it at (`adapters.charts`), as Teams refuses inline images of its size."""

from __future__ import annotations

import json
import re
from typing import Any

from adapters import fitting
from bot.kernel import links
from bot.kernel.messages import Button, Fact, Form, FormField, Image, Item, Reply

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
TONE_COLOUR = {"error": "Attention", "success": "Good", "info": "Default"}
MAX_INLINE_IMAGE = 20_000  # base64 characters: Teams refuses bigger inline images
MAX_ACTIVITY = 80_000  # UTF-16 code units of the whole activity, as Microsoft advises
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


def _image(image: Image, url: str | None) -> list[dict[str, Any]]:
    """By the URL PlaceBot serves the chart at; without one (no PLACEBOT_PUBLIC_URL) inline as
    a data URI when small enough, else told in words (its alt text)."""
    if url is None and len(image.png_base64) <= MAX_INLINE_IMAGE:
        url = f"data:image/png;base64,{image.png_base64}"
    if url is None or not (url.startswith("data:") or links.is_safe(url)):
        return [_text(f"{image.title}: {image.alt}", wrap=True)]
    return [
        {"type": "Image", "url": url, "altText": image.alt, "size": "Stretch"},
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


def card(reply: Reply, chart_url: str | None = None) -> dict[str, Any]:
    """The reply as one card, whatever its size (see `activities` for what Teams takes)."""
    body: list[dict[str, Any]] = [_text(reply.text, wrap=True, color=TONE_COLOUR[reply.tone])]
    if reply.image is not None:
        body += _image(reply.image, chart_url)
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


def attachment(reply: Reply, chart_url: str | None = None) -> dict[str, Any]:
    return {"contentType": CARD_TYPE, "content": card(reply, chart_url)}


def utf16_size(message: dict[str, Any]) -> int:
    """A message's size as Teams counts it: its JSON in UTF-16 code units."""
    return len(json.dumps(message, ensure_ascii=False).encode("utf-16-le")) // 2


def activity(envelope: dict[str, Any], reply: Reply, chart_url: str | None) -> dict[str, Any]:
    return {
        **envelope,
        "text": shown(reply.text),  # Teams reads a message's text as markdown too
        "attachments": [attachment(reply, chart_url)],
    }


def _fits(envelope: dict[str, Any], chart_url: str | None) -> fitting.Fits:
    return lambda reply: utf16_size(activity(envelope, reply, chart_url)) <= MAX_ACTIVITY


def activities(
    envelope: dict[str, Any], reply: Reply, chart_url: str | None = None, whole: bool = False
) -> list[dict[str, Any]]:
    """The reply as activities Teams takes: one, cut to fit with a note on the rest; or, when
    `whole` (a digest or summary), as many as it takes to carry everything."""
    fits = _fits(envelope, chart_url)
    replies = fitting.split(reply, fits) if whole else [fitting.cut(reply, fits)]
    return [activity(envelope, part, chart_url) for part in replies]


def fitted_card(reply: Reply) -> dict[str, Any]:
    """One card (an invoke's answer), cut to what Teams takes."""
    return card(fitting.cut(reply, _fits({}, None)))


def submission(data: dict[str, Any]) -> tuple[str | None, str, str | None, dict[str, str]]:
    """(action, value, form_id, form values) from a card's submitted data."""
    values = {str(k): "" if v is None else str(v) for k, v in data.items()}
    form_id = values.pop("form_id", None)
    action = values.pop("action", None)
    value = values.pop("value", "")
    values.pop("msteams", None)
    return action, value, form_id, values
