"""Render a core `Reply` as an email: plain text and simple, accessible HTML of the same content.

Everything that came from people (offer notes, names, places) is escaped in the HTML. Buttons
become links only when they open a web or email address; a button that calls the bot back
cannot work from email, so it becomes a line saying what to type in chat instead. The chart
(`Reply.image`) is an inline PNG (multipart/related, by Content-ID) with its alt text.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape

from bot.chat.typed import typed_command
from bot.delivery import kinds
from bot.kernel import links
from bot.kernel.messages import Button, Fact, Form, Image, Item, Reply

SUBJECT_MAX = 100
_CODE = re.compile(r"`([^`\n]+)`")

STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#212b32;"
    "margin:0;padding:16px;max-width:42em}"
    "h2{font-size:18px;margin:20px 0 4px}"
    "table{border-collapse:collapse;margin:8px 0}"
    "th,td{text-align:left;vertical-align:top;padding:2px 12px 2px 0}"
    "th{color:#4c6272;font-weight:bold}"
    "code{font-family:Consolas,Menlo,monospace;background:#eef2f4;padding:0 3px}"
    "a{color:#005eb8}"
    ".footer{color:#4c6272;font-size:13px;margin-top:24px}"
)


def subject(reply: Reply, kind: str | None = None) -> str:
    """The reply's first line, without the backticks that mark commands; led by what the
    message is (`kind`: "Reminder", "Digest", ...) unless the line says so already."""
    first = next((line.strip() for line in reply.text.splitlines() if line.strip()), "")
    first = re.sub(r"\s+", " ", first.replace("`", ""))
    if kind and first and not kinds.names_itself(first, kind):
        first = f"{kind}: {first}"
    if len(first) > SUBJECT_MAX:
        first = first[: SUBJECT_MAX - 1].rstrip() + "…"
    return first or "A message from PlaceBot"


def is_link(button: Button) -> bool:
    """A button shown as a link: only a safe web or email link (one with a line break could
    add lines to the plain text, one with javascript: would run where it is clicked)."""
    return links.is_safe(button.url)


def _chat_line(button: Button) -> str:
    command = typed_command(button)
    if command:
        return f"{button.label}: in chat, type `{command}`"
    return f"{button.label}: open PlaceBot in chat to do this"


# --- Plain text ---


def _text_facts(facts: tuple[Fact, ...]) -> list[str]:
    return [f"{fact.label}: {fact.value}" for fact in facts]


def _text_buttons(buttons: tuple[Button, ...]) -> list[str]:
    return [
        f"{b.label}: {b.url}" if is_link(b) else _chat_line(b)
        for b in buttons
        if is_link(b) or not b.url
    ]


def plain_text(reply: Reply) -> str:
    lines = [reply.text.strip(), ""]
    if reply.image:
        lines += [f"{reply.image.title} (chart): {reply.image.alt}", ""]
    if reply.facts:
        lines += [*_text_facts(reply.facts), ""]
    for item in reply.items:
        lines += [item.title, "-" * min(len(item.title), 60)]
        if item.text:
            lines.append(item.text)
        lines += [*_text_facts(item.facts), *_text_buttons(item.buttons), ""]
    if reply.buttons:
        lines += [*_text_buttons(reply.buttons), ""]
    if reply.form:
        lines += [_form_line(reply.form), ""]
    lines.append("-- \nSent by PlaceBot.")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _form_line(form: Form) -> str:
    return f"{form.title}: this form can be filled in only in chat."


# --- HTML ---


def _inline(text: str) -> str:
    """Escaped text with `commands` as <code> and line breaks kept."""
    escaped = escape(text)
    return _CODE.sub(r"<code>\1</code>", escaped).replace("\n", "<br>\n")


def _html_facts(facts: tuple[Fact, ...]) -> str:
    if not facts:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{escape(f.label)}</th><td>{_inline(f.value)}</td></tr>' for f in facts
    )
    return f"<table>{rows}</table>"


def _html_buttons(buttons: tuple[Button, ...]) -> str:
    shown = []
    for button in buttons:
        if is_link(button):
            href = escape(str(button.url), quote=True)
            shown.append(f'<li><a href="{href}">{escape(button.label)}</a></li>')
        elif not button.url:
            shown.append(f"<li>{_inline(_chat_line(button))}</li>")
    return f"<ul>{''.join(shown)}</ul>" if shown else ""


def _html_item(item: Item) -> str:
    text = f"<p>{_inline(item.text)}</p>" if item.text else ""
    facts, buttons = _html_facts(item.facts), _html_buttons(item.buttons)
    return f"<section><h2>{escape(item.title)}</h2>{text}{facts}{buttons}</section>"


def _html_image(image: Image, cid: str) -> str:
    return (
        f'<p><img src="cid:{escape(cid, quote=True)}" alt="{escape(image.alt, quote=True)}"'
        ' style="max-width:100%;height:auto"></p>'
        f"<p><strong>{escape(image.title)}</strong></p>"
    )


def html(reply: Reply, image_cid: str | None = None) -> str:
    parts = [f"<p>{_inline(paragraph)}</p>" for paragraph in re.split(r"\n\s*\n", reply.text)]
    if reply.image and image_cid:
        parts.append(_html_image(reply.image, image_cid))
    parts.append(_html_facts(reply.facts))
    parts += [_html_item(item) for item in reply.items]
    parts.append(_html_buttons(reply.buttons))
    if reply.form:
        parts.append(f"<p>{escape(_form_line(reply.form))}</p>")
    parts.append('<p class="footer">Sent by PlaceBot.</p>')
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{escape(subject(reply))}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>"
    )


# --- The whole message ---


def message_id(key: str, sender_domain: str) -> str:
    """The same dedupe key always gives the same Message-ID, so a repeat is recognisable."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"<{digest}@{sender_domain or 'placebot'}>"


def compose(
    reply: Reply,
    sender: str,
    to: str,
    msg_id: str,
    when: datetime | None = None,
    kind: str | None = None,
) -> EmailMessage:
    """multipart/alternative: text/plain, then text/html (with the chart, multipart/related)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject(reply, kind)
    message["Message-ID"] = msg_id
    message["Date"] = format_datetime(when or datetime.now(UTC))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies stay quiet
    message.set_content(plain_text(reply))
    cid = None
    if reply.image:
        cid = f"chart-{msg_id.strip('<>').split('@')[0][:16]}@placebot"
    message.add_alternative(html(reply, cid), subtype="html")
    if reply.image and cid:
        [_plain, html_part] = message.get_payload()  # type: ignore[misc]
        html_part.add_related(
            base64.b64decode(reply.image.png_base64, validate=True),
            maintype="image",
            subtype="png",
            cid=f"<{cid}>",
            filename="chart.png",
            disposition="inline",
        )
    return message
