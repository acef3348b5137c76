"""Email delivery (`SMTP_URL`, from `PLACEBOT_EMAIL_FROM`), for leads who prefer email.

One SMTP connection per message: the outbox sends a few hundred emails a week, so pooling
would buy nothing and a fresh connection never finds a stale one. What the server answers
decides what the outbox does: a temporary failure (4xx, no connection, a timeout) raises
`MailNotSent`, and the outbox tries again with backoff; a permanent refusal of the recipient
or of the message (5xx) raises `Unreachable`, and the outbox parks it rather than insist.
"""

from __future__ import annotations

import ssl
from dataclasses import replace
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from urllib.parse import quote

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.email import render
from adapters.email.smtp_url import SmtpTarget, parse
from bot.delivery import kinds
from bot.delivery.channels import Unreachable
from bot.kernel.clock import Clock
from bot.kernel.messages import Button, Reply
from bot.reports import links
from config.settings import Settings
from storage.tables import Person

TIMEOUT_SECONDS = 30  # each SMTP step; the outbox allows a minute for the whole send


def unsubscribe_url(
    settings: Settings, clock: Clock, person_id: int, key: str | None
) -> str | None:
    """The one-click link for a digest or a summary (by its outbox key); None for the rest."""
    what = (key or "").split(":", 1)[0]
    if what not in ("digest", "summary"):
        return None
    return links.unsubscribe_link(settings, clock, person_id, what)  # type: ignore[arg-type]


class MailNotSent(Exception):
    """The mail server could not take the message now; the outbox tries again later."""


def sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "placebot"


class EmailChannel:
    name = "email"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """`tls_context` is for tests with their own certificate authority; by default the
        system's trusted certificates are checked, as they should be."""
        if not settings.smtp_url:
            raise ValueError("EmailChannel needs SMTP_URL")
        self.sessions = sessions
        self.target: SmtpTarget = parse(settings.smtp_url)
        self.settings = settings
        self.sender = settings.placebot_email_from
        self.domain = sender_domain(self.sender)
        self.clock = clock or Clock(zone=settings.timezone)
        self.tls_context = tls_context

    async def send(self, person_id: int, reply: Reply, key: str | None = None) -> None:
        async with self.sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.email:
                raise Unreachable(f"person {person_id} has no email address")
            address, name = person.email, " ".join(person.display_name.split())
        msg_id = render.message_id(key, self.domain) if key else make_msgid(domain=self.domain)
        stop = unsubscribe_url(self.settings, self.clock, person_id, key)
        if stop is not None:  # in the message too, for readers whose mail app shows no button
            reply = replace(
                reply, buttons=(*reply.buttons, Button("Unsubscribe", "link", url=stop))
            )
        message = render.compose(
            reply,
            self.sender,
            formataddr((name, address)),
            msg_id,
            self.clock.now(),
            kinds.label(key),
        )
        if stop is not None:
            self.list_unsubscribe(message, stop, key or "")
        await self.deliver(message, address)

    def list_unsubscribe(self, message: EmailMessage, url: str, key: str) -> None:
        """RFC 2369 and RFC 8058: the mail app's own Unsubscribe, one click (a POST to `url`),
        or a mail to the sending address, which the faculty reads."""
        mailbox = parseaddr(self.sender)[1]
        subject = quote(f"Unsubscribe {key.split(':', 1)[0]}")
        message["List-Unsubscribe"] = f"<{url}>, <mailto:{mailbox}?subject={subject}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"

    async def deliver(self, message: EmailMessage, address: str) -> None:
        target = self.target
        where = f"{target.host}:{target.port}"
        client = aiosmtplib.SMTP(
            hostname=target.host,
            port=target.port,
            use_tls=target.implicit_tls,
            start_tls=target.start_tls,
            username=target.username,
            password=target.password,
            timeout=TIMEOUT_SECONDS,
            tls_context=self.tls_context,
        )
        try:
            async with client:
                await client.send_message(message, recipients=[address])
        except aiosmtplib.SMTPRecipientsRefused as refused:
            codes = [r.code for r in refused.recipients]
            answer = "; ".join(f"{r.code} {r.message}" for r in refused.recipients)
            if codes and all(code >= 500 for code in codes):
                raise Unreachable(f"{where} refused {address}: {answer}") from None
            raise MailNotSent(f"{where} could not take mail for {address} now: {answer}") from None
        except (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError) as refused:
            if refused.code >= 500:
                raise Unreachable(
                    f"{where} refused the message to {address}: {refused.code} {refused.message}"
                ) from None
            raise MailNotSent(f"{where} answered {refused.code} {refused.message}") from None
        except aiosmtplib.SMTPResponseException as error:
            raise MailNotSent(f"{where} answered {error.code} {error.message}") from None
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailNotSent(f"could not send through {where}: {error}") from None
