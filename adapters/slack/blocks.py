"""Render a core `Reply` as Slack Block Kit: messages, and modals for forms."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack import mrkdwn
from bot.kernel import links
from bot.kernel.messages import Button, Fact, Form, FormField, Item, Reply

MAX_FIELDS = 10  # Slack's limit of fields in one section
MAX_BLOCKS = 50
TONE_EMOJI = {"error": ":warning: ", "success": ":white_check_mark: ", "info": ""}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit] or " ", "emoji": True}


def _section(mrkdwn_text: str) -> dict[str, Any]:
    """A section of mrkdwn already escaped (see `mrkdwn`)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn_text}}


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
    """A link button only with a safe link (Slack refuses a whole message over a bad one)."""
    return not button.url or links.is_safe(button.url)


def _actions(buttons: tuple[Button, ...], offset: int) -> list[dict[str, Any]]:
    elements = [button_element(b, offset + n) for n, b in enumerate(buttons[:25]) if _shown(b)]
    return [{"type": "actions", "elements": elements}] if elements else []


def _item(item: Item, offset: int) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"}, _section(mrkdwn.bold(item.title))]
    if item.text:
        blocks.append(_section(mrkdwn.literal(item.text)))
    return blocks + _fields(item.facts) + _actions(item.buttons, offset)


def message_blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks = [_section(TONE_EMOJI[reply.tone] + mrkdwn.sentence(reply.text, 2980))]
    blocks += _fields(reply.facts)
    blocks += _actions(reply.buttons, 0)
    offset = len(reply.buttons)
    for item in reply.items:
        blocks += _item(item, offset)
        offset += len(item.buttons)
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], _section("… more than fits here; narrow the search.")]
    return blocks


def message(reply: Reply) -> dict[str, Any]:
    """Arguments for chat.postMessage or a response_url answer."""
    return {"text": mrkdwn.entities(reply.text, 3000), "blocks": message_blocks(reply)}


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
    blocks = [_section(mrkdwn.sentence(text))] if text else []
    blocks += [_input(field) for field in form.fields]
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
