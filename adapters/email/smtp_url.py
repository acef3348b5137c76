"""Read `SMTP_URL` into what aiosmtplib needs; a bad one is refused at start-up, not at 08:00.

- `smtp://host:port`: plain SMTP (port 25 by default); upgraded with STARTTLS when the server
  offers it. For a relay on loopback or in tests.
- `smtp://user:password@host:587`: STARTTLS is required before the password is sent: a server
  that does not offer it (or an attacker who strips the offer) gets no password in clear text.
- `smtps://user:password@host:465`: TLS from the first byte (implicit TLS).
User and password are percent-decoded (`%40` for `@`, `%3A` for `:`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

FORMS = "smtp://host:port, smtp://user:password@host:587 or smtps://user:password@host:465"


class BadSmtpUrl(ValueError):
    """The URL cannot be used; the message says what is wrong with it (never the password)."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    # True: STARTTLS or fail; None: STARTTLS when the server offers it.
    start_tls: bool | None
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse(url: str) -> SmtpTarget:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:  # e.g. a port that is not a number
        raise BadSmtpUrl(f"it cannot be read ({error})") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise BadSmtpUrl(f"it must begin smtp:// or smtps://, not {parts.scheme or 'nothing'}")
    if not parts.hostname:
        raise BadSmtpUrl("it names no mail server host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BadSmtpUrl("it must be only scheme, user, password, host and port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (username is None) != (password is None):
        raise BadSmtpUrl("it has a user without a password: give both, or neither")
    implicit = parts.scheme == "smtps"
    default_port = 465 if implicit else (587 if username else 25)
    return SmtpTarget(
        host=parts.hostname,
        port=port or default_port,
        implicit_tls=implicit,
        start_tls=False if implicit else (True if username else None),
        username=username,
        password=password,
    )
