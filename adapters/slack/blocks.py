"""Render a core `Reply` as Slack Block Kit: messages, and modals for forms.

Within Slack's limits (those slack_sdk's Block Kit models check): 50 blocks in a message, 100
in a modal or the Home tab, 3000 characters of section text, 2000 of a field, 75 of a button's
text. A reply with more items than fit shows as many as fit and says so (`adapters.fitting`);
the outbox's messages (`messages`) are split instead, so a digest loses nothing."""

from __future__ import annotations

import json
from typing import Any

from adapters import fitting
from adapters.slack import mrkdwn
from bot.kernel import links
from bot.kernel.messages import Button, Fact, Form, FormField, Item, Reply

MAX_FIELDS = 10  # Slack's limit of fields in one section
MAX_BLOCKS = 50  # in a message
MAX_VIEW_BLOCKS = 100  # in a modal or the Home tab
MAX_SECTION_TEXT = 3000
MAX_BUTTONS = 25  # elements of one actions block
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
TONE_EMOJI = {"error": ":warning: ", "success": ":white_check_mark: ", "info": ""}


def _plain(text: str, limit: int = MAX_BUTTON_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def _section(mrkdwn_text: str) -> dict[str, Any]:
    """A section of mrkdwn already escaped (see `mrkdwn`)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_text}}


def note(text: str) -> dict[str, Any]:
    """A line the bot adds to a message (a chart that could not be attached)."""
    return _section(mrkdwn.sentence(text, MAX_SECTION_TEXT))


def _field(fact: Fact) -> dict[str, Any]:
    label = mrkdwn.bold(fact.label, 300)
    return {"type": "mrkdwn", "text": f"{label}\n{mrkdwn.literal(fact.value, 1999 - len(label))}"}


def _fields(facts: tuple[Fact, ...]) -> list[dict[str, Any]]:
    blocks = []
    for start in range(0, len(facts), MAX_FIELDS):
        fields = [_field(f) for f in facts[start : start + MAX_FIELDS]]
        blocks.append({"type": "section", "fields": fields})
    return blocks


def button_element(button: Button, index: int) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": _plain(button.label)}
    if button.url:
        element.update(url=button.url, action_id=f"link:{index}")
    else:
        # action_id must be unique within a message, so the index rides along after a colon.
        element.update(action_id=f"{button.action}:{index}", value=button.value[:2000])
    if button.style:
        element["style"] = button.style
    return element


def _shown(button: Button) -> bool:
    """A link button only with a safe link Slack takes (it refuses a whole message over a bad
    or too long one)."""
    return not button.url or (len(button.url) <= MAX_URL and links.is_safe(button.url))


def _actions(buttons: tuple[Button, ...], offset: int) -> list[dict[str, Any]]:
    shown = [(offset + n, b) for n, b in enumerate(buttons) if _shown(b)][:MAX_BUTTONS]
    elements = [button_element(b, index) for index, b in shown]
    return [{"type": "actions", "elements": elements}] if elements else []


def _item(item: Item, offset: int) -> list[dict[str, Any]]:
    """Two blocks for most items (a section with title, text and up to 10 facts; the buttons),
    so that a page of 20 offers fits in one message and Show more misses none."""
    title = mrkdwn.bold(item.title, MAX_SECTION_TEXT // 2)
    text = f"{title}\n{mrkdwn.literal(item.text, MAX_SECTION_TEXT - len(title) - 1)}"
    head = _section(text if item.text else title)
    fields = _fields(item.facts)
    if fields:
        head["fields"] = fields[0]["fields"]
    return [head, *fields[1:], *_actions(item.buttons, offset)]


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    """Every block of the reply, however many."""
    text = TONE_EMOJI[reply.tone] + mrkdwn.sentence(reply.text, MAX_SECTION_TEXT - 20)
    blocks = [_section(text)]
    blocks += _fields(reply.facts)
    blocks += _actions(reply.buttons, 0)
    offset = len(reply.buttons)
    for item in reply.items:
        blocks += _item(item, offset)
        offset += len(item.buttons)
    return blocks


def _within(limit: int) -> fitting.Fits:
    return lambda reply: len(_blocks(reply)) <= limit


def _capped(blocks: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Never more than Slack takes, even when the reply's own facts overflow (never seen)."""
    if len(blocks) <= limit:
        return blocks
    return [*blocks[: limit - 1], _section("… more than fits in one message; ask for fewer.")]


def message_blocks(reply: Reply, limit: int = MAX_BLOCKS) -> list[dict[str, Any]]:
    """The reply's blocks, as many of its items as fit in `limit` blocks and a note on the rest."""
    return _capped(_blocks(fitting.cut(reply, _within(limit))), limit)


def home_blocks(reply: Reply) -> list[dict[str, Any]]:
    """The Home tab takes 100 blocks, twice a message's."""
    return message_blocks(reply, MAX_VIEW_BLOCKS)


def message(reply: Reply) -> dict[str, Any]:
    """Arguments for chat.postMessage or a response_url answer: one message, cut to fit."""
    return {"text": mrkdwn.entities(reply.text, 3000), "blocks": message_blocks(reply)}


def parts(reply: Reply) -> list[Reply]:
    """The reply as messages that each fit, nothing left out (a digest, a summary); the first
    keeps room for its chart's image block."""
    return fitting.split(reply, lambda r: len(_blocks(r)) + (r.image is not None) <= MAX_BLOCKS)


def _input(field: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    if field.kind == "select":
        options = [
            {"text": _plain(label), "value": value or "-"} for value, label in field.options[:100]
        ]
        element = {"type": "static_select", "action_id": field.name, "options": options}
        chosen = next((o for o in options if o["value"] == (field.value or "-")), None)
        if chosen and field.value:
            element["initial_option"] = chosen
    else:
        element = {
            "type": "plain_text_input",
            "action_id": field.name,
            "multiline": field.kind == "textarea",
        }
        if field.value:
            element["initial_value"] = field.value
        if field.hint:
            element["placeholder"] = _plain(field.hint, 150)
    return {
        "type": "input",
        "block_id": field.name,
        "optional": not field.required,
        "label": _plain(field.label, 2000),
        "element": element,
    }


def modal(form: Form, text: str = "") -> dict[str, Any]:
    """A modal view; hidden values travel in private_metadata."""
    blocks = [_section(mrkdwn.sentence(text, MAX_SECTION_TEXT))] if text else []
    blocks += [_input(field) for field in form.fields][: MAX_VIEW_BLOCKS - len(blocks)]
    return {
        "type": "modal",
        "callback_id": form.form_id,
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit_label, 24),
        "close": _plain("Cancel", 24),
        "private_metadata": json.dumps(dict(form.hidden)),
        "blocks": blocks,
    }


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """The form values a view_submission carries, plus the hidden ones."""
    values: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        for state in actions.values():
            if state.get("type") == "static_select":
                chosen = (state.get("selected_option") or {}).get("value", "")
                values[block_id] = "" if chosen == "-" else chosen
            else:
                values[block_id] = state.get("value") or ""
    try:
        hidden = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        hidden = {}
    if isinstance(hidden, dict):
        values.update({str(k): str(v) for k, v in hidden.items()})
    return values
