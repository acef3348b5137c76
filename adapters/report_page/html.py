"""The page's frame and the few pieces every view is made of, all text escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

STYLE = """
body{font:1rem/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;
color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
form.filters{display:flex;gap:.75rem;flex-wrap:wrap;align-items:end}
label{display:flex;flex-direction:column;font-size:.9rem}
@media print{form.filters,.noprint{display:none}body{margin:0;max-width:none}}
form.ask{display:flex;gap:.4rem;align-items:end;margin:0}form.ask input[type=number]{width:4rem}
p.notice{padding:.5rem .75rem;border-left:.3rem solid #2e7d32;background:#eef6ee}
p.notice.error{border-color:#b00020;background:#fbeaea}
"""


class Raw(str):
    """HTML made here from escaped parts (a form in a table cell), so `table` keeps it as is."""


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: frozenset[int] = frozenset()
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{cell}</td>"
            if isinstance(cell, Raw)
            else f'<td class="n">{escape(str(cell))}</td>'
            if i in numeric
            else f"<td>{escape(str(cell))}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def link(text: str, href: str) -> str:
    return f'<a href="{escape(href, quote=True)}">{escape(text)}</a>'


def heading(text: str) -> str:
    return f"<h2>{escape(text)}</h2>"


def notice(text: str, error: bool = False) -> str:
    role = ' class="notice error" role="alert"' if error else ' class="notice" role="status"'
    return f"<p{role}>{escape(text)}</p>"


def hidden(name: str, value: str) -> str:
    return (
        f'<input type="hidden" name="{escape(name, quote=True)}" '
        f'value="{escape(value, quote=True)}">'
    )


def choice(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str) -> str:
    """A labelled select; `options` are (value, label)."""
    shown = "".join(
        f'<option value="{escape(value, quote=True)}"{" selected" if value == chosen else ""}>'
        f"{escape(text)}</option>"
        for value, text in options
    )
    return (
        f'<label>{escape(label)}<select name="{escape(name, quote=True)}">{shown}</select></label>'
    )


def date_field(name: str, label: str, value: str) -> str:
    return (
        f'<label>{escape(label)}<input type="date" name="{escape(name, quote=True)}" '
        f'value="{escape(value, quote=True)}"></label>'
    )
