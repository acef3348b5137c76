"""Email, through the outbox, to a real SMTP server on loopback (aiosmtpd).

The server records what it receives and answers as it is told (250, 451, 550), so the tests
see what a lead's mailbox would get and what the outbox does when the server says no.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from sqlalchemy import select, update

from adapters.email.channel import EmailChannel
from adapters.server import ConfigurationError, check_settings
from bot.delivery import outcomes
from bot.delivery import queue as outbox
from bot.delivery import sender as sending
from bot.kernel.clock import FixedClock
from bot.kernel.jobs import JobContext
from bot.kernel.messages import Button, Fact, Image, Item, Reply
from bot.reports.digests import job as digests
from config.settings import Settings
from storage.tables import Delivery, Person
from tests.support.chat import Chat

LEAD = 5  # the demo's placement lead at the University of Nottingham
ADDRESS = "lead@nottingham.example.ac.uk"
SENDER = "PlaceBot <placebot@notts-ics.example.org>"
KEY = "digest:nottingham:5:2026-W48"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
DIGEST = Reply(
    text="Your weekly digest: 2 new offers for PT.\nReply in chat when you are ready.",
    facts=(Fact("New offers", "2"), Fact("Requests waiting", "1")),
    items=(
        Item(
            "PL-2027-0001 · PT · Ward 12 & Stroke Rehab",
            (Fact("Students", "2"), Fact("Dates", "1 Feb – 12 Mar 2027")),
            (
                Button("No capacity", "block.none", "BL-2027-0001"),
                Button("Book", "link", url="https://events.example.org/book?a=1&b=2"),
                Button("Sneaky", "link", url="javascript:alert(1)"),
            ),
            text='Notes: <script>alert("x")</script> parking & lunch',
        ),
    ),
    buttons=(Button("Snooze", "nudges.snooze", "2w"),),
    image=Image(
        "Offers against targets",
        "PT: 12 of 39 offered; OT: 5 of 23",
        base64.b64encode(PNG).decode(),
    ),
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler: keeps each message it accepts; answers RCPT as told first."""

    def __init__(self) -> None:
        self.received: list[tuple[Envelope, Any]] = []
        self.rcpt_answers: list[str] = []
        self.encrypted: list[bool] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.rcpt_answers:
            return self.rcpt_answers.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        # STARTTLS shows in the session; TLS from the first byte only in the transport.
        self.encrypted.append(
            session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        )
        self.received.append((envelope, session))
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            message_from_bytes(envelope.original_content, policy=policy.default)  # type: ignore[arg-type]
            for envelope, _session in self.received
        ]


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    handler, port = Mailbox(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def email_settings(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"smtp_url": url, "placebot_email_from": SENDER})


async def give_email(chat: Chat, person_id: int = LEAD, name: str | None = None) -> None:
    values: dict[str, str] = {"email": ADDRESS}
    if name:
        values["display_name"] = name
    async with chat.bot.sessions.begin() as session:
        await session.execute(update(Person).where(Person.id == person_id).values(**values))


async def queue(chat: Chat, clock: FixedClock, reply: Reply = DIGEST, key: str = KEY) -> None:
    async with chat.bot.sessions.begin() as session:
        assert await outbox.enqueue(session, LEAD, "email", reply, key, clock.now())


async def the_row(chat: Chat) -> Delivery:
    async with chat.bot.sessions() as session:
        return (await session.execute(select(Delivery))).scalar_one()


def sender_for(chat: Chat, settings: Settings, clock: FixedClock, url: str, **kw: Any):
    channel = EmailChannel(chat.bot.sessions, email_settings(settings, url), clock, **kw)
    return sending.Sender(chat.bot.sessions, {"email": channel}, clock)


async def run_until_settled(sender: sending.Sender, chat: Chat, clock: FixedClock) -> Delivery:
    """Send, and keep sending when the row comes due again, until it is sent or parked."""
    for _ in range(outcomes.MAX_ATTEMPTS + 1):
        await sender.run_once()
        row = await the_row(chat)
        if row.status != "pending":
            return row
        clock.at = row.next_attempt_at
    raise AssertionError("the delivery was neither sent nor parked")


async def test_a_digest_reaches_the_leads_mailbox_in_plain_text_and_html_with_its_chart(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    await give_email(chat, name='Sam O\'Neil\r\n<Lead> & "Co"')
    await queue(chat, clock)
    sender = sender_for(chat, settings, clock, f"smtp://127.0.0.1:{port}")
    assert (await sender.run_once()).sent == 1
    assert (await sender.run_once()).claimed == 0

    [(envelope, _session)] = server.received
    assert envelope.mail_from == "placebot@notts-ics.example.org"
    assert envelope.rcpt_tos == [ADDRESS]
    [message] = server.messages()
    assert message["From"] == SENDER
    assert message["To"].addresses[0].addr_spec == ADDRESS
    assert message["To"].addresses[0].display_name == 'Sam O\'Neil <Lead> & "Co"'
    assert message["Subject"] == "Your weekly digest: 2 new offers for PT."
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    assert message["Message-ID"] == f"<{digest}@notts-ics.example.org>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain_part, related = message.iter_parts()
    assert plain_part.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html_part, chart = related.iter_parts()

    plain = plain_part.get_content()
    assert "New offers: 2" in plain and "Students: 2" in plain
    assert "No capacity: in chat, type `placement none BL-2027-0001`" in plain
    assert "Book: https://events.example.org/book?a=1&b=2" in plain
    assert "javascript:" not in plain
    assert "PT: 12 of 39 offered" in plain

    html = html_part.get_content()
    assert html_part.get_content_type() == "text/html"
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; parking &amp; lunch" in html
    assert "Ward 12 &amp; Stroke Rehab" in html
    assert '<th scope="row">New offers</th><td>2</td>' in html
    assert '<a href="https://events.example.org/book?a=1&amp;b=2">Book</a>' in html
    assert "javascript:" not in html and "Sneaky" not in html
    assert "in chat, type <code>placement none BL-2027-0001</code>" in html
    assert "<h2>PL-2027-0001 · PT · Ward 12 &amp; Stroke Rehab</h2>" in html

    assert chart.get_content_type() == "image/png"
    assert chart.get_content() == PNG
    cid = chart["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert 'alt="PT: 12 of 39 offered; OT: 5 of 23"' in html

    row = await the_row(chat)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)


async def test_the_same_delivery_sent_again_has_the_same_message_id(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    await give_email(chat)
    channel = EmailChannel(
        chat.bot.sessions, email_settings(settings, f"smtp://127.0.0.1:{port}"), clock
    )
    await channel.send(LEAD, DIGEST, KEY)  # as if a sender died after sending, before recording
    await channel.send(LEAD, DIGEST, KEY)
    await channel.send(LEAD, DIGEST, "digest:nottingham:5:2026-W49")
    ids = [message["Message-ID"] for message in server.messages()]
    assert ids[0] == ids[1] != ids[2]


async def test_a_temporary_refusal_is_tried_again_later_and_then_delivered_once(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    await give_email(chat)
    await queue(chat, clock)
    server.rcpt_answers = ["451 4.3.0 Mailbox busy, try again later"]
    sender = sender_for(chat, settings, clock, f"smtp://127.0.0.1:{port}")
    outcome = await sender.run_once()
    row = await the_row(chat)
    assert (outcome.retried, row.status, row.attempts) == (1, "pending", 1)
    assert "451" in (row.last_error or "") and row.next_attempt_at > clock.now()
    assert server.received == []

    assert (await sender.run_once()).claimed == 0  # not before its time
    clock.at = row.next_attempt_at
    assert (await sender.run_once()).sent == 1
    assert len(server.messages()) == 1
    assert (await the_row(chat)).status == "sent"


async def test_a_permanent_refusal_is_parked_as_failed_and_never_delivered(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    await give_email(chat)
    await queue(chat, clock)
    server.rcpt_answers = ["550 5.1.1 No such user here"] * (outcomes.MAX_ATTEMPTS + 1)
    await sender_for(chat, settings, clock, f"smtp://127.0.0.1:{port}").run_once()
    row = await the_row(chat)
    assert (row.status, row.attempts) == ("failed", 1)  # parked at once: no second RCPT
    assert f"refused {ADDRESS}: 550" in (row.last_error or "")
    assert server.received == []


async def test_a_lead_without_an_email_address_is_parked_not_sent(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    await queue(chat, clock)
    row = await run_until_settled(
        sender_for(chat, settings, clock, f"smtp://127.0.0.1:{port}"), chat, clock
    )
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == f"person {LEAD} has no email address"
    assert server.received == []


async def test_no_mail_server_listening_is_a_temporary_failure(
    chat: Chat, settings: Settings, clock: FixedClock
) -> None:
    await give_email(chat)
    await queue(chat, clock)
    sender = sender_for(chat, settings, clock, f"smtp://127.0.0.1:{free_port()}")
    assert (await sender.run_once()).retried == 1
    row = await the_row(chat)
    assert row.status == "pending"
    assert "MailNotSent: could not send through 127.0.0.1" in (row.last_error or "")


# --- STARTTLS and AUTH, with a certificate made for the test ---


def make_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Authenticator:
    def __init__(self) -> None:
        self.tried: list[tuple[str, str]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any):
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.tried.append((login, password))
        return AuthResult(success=(login, password) == ("placebot@trust", "p@ss:word"))


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(the server's TLS context, a client context that trusts it)."""
    cert, key = make_certificate(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    return server_tls, ssl.create_default_context(cafile=str(cert))


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
async def test_tls_then_login_with_a_percent_encoded_user_and_password(
    chat: Chat,
    settings: Settings,
    clock: FixedClock,
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
    scheme: str,
) -> None:
    server_tls, trusted = certificate
    handler, authenticator, port = Mailbox(), Authenticator(), free_port()
    tls: dict[str, Any] = (
        {"tls_context": server_tls, "require_starttls": True}  # STARTTLS on a plain port
        if scheme == "smtp"
        # TLS from the first byte; aiosmtpd does not count that as TLS for AUTH, so say so
        else {"ssl_context": server_tls, "auth_require_tls": False}
    )
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        authenticator=authenticator,
        **tls,
    )
    controller.start()
    try:
        await give_email(chat)
        await queue(chat, clock)
        url = f"{scheme}://placebot%40trust:p%40ss%3Aword@127.0.0.1:{port}"
        sender = sender_for(chat, settings, clock, url, tls_context=trusted)
        assert (await sender.run_once()).sent == 1
    finally:
        controller.stop()
    assert authenticator.tried == [("placebot@trust", "p@ss:word")]
    assert handler.encrypted == [True]  # the password and the message went over TLS
    assert len(handler.messages()) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_a_password_is_never_sent_to_a_server_that_offers_no_starttls(
    chat: Chat, settings: Settings, clock: FixedClock
) -> None:
    handler, authenticator, port = Mailbox(), Authenticator(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        auth_require_tls=False,  # a server that would take the password in clear text
        authenticator=authenticator,
    )
    controller.start()
    try:
        await give_email(chat)
        await queue(chat, clock)
        url = f"smtp://placebot%40trust:p%40ss%3Aword@127.0.0.1:{port}"
        assert (await sender_for(chat, settings, clock, url).run_once()).retried == 1
    finally:
        controller.stop()
    assert authenticator.tried == []
    assert handler.received == []
    assert "STARTTLS" in ((await the_row(chat)).last_error or "")


# --- Settings ---


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://mail.example.org", "must begin smtp:// or smtps://"),
        ("smtp://", "names no mail server host"),
        ("smtp://mail.example.org:port", "cannot be read"),
        ("smtp://user@mail.example.org:587", "a user without a password"),
        ("smtp://mail.example.org/inbox", "only scheme, user, password, host and port"),
    ],
)
def test_a_bad_smtp_url_is_a_start_up_error_naming_the_variable(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_settings(Settings(smtp_url=url, _env_file=None))  # type: ignore[call-arg]
    assert str(raised.value).startswith("SMTP_URL is not usable:")
    assert why in str(raised.value)
    assert "smtps://user:password@host:465" in str(raised.value)


def test_a_bad_sender_address_is_a_start_up_error() -> None:
    settings = Settings(
        smtp_url="smtp://127.0.0.1:25", placebot_email_from="PlaceBot", _env_file=None
    )  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="PLACEBOT_EMAIL_FROM"):
        check_settings(settings)


def test_good_smtp_urls_pass() -> None:
    for url in (
        "smtp://127.0.0.1:2525",
        "smtp://us%40er:p%3Ass@mail.example.org:587",
        "smtps://user:secret@mail.example.org:465",
    ):
        check_settings(Settings(smtp_url=url, _env_file=None))  # type: ignore[call-arg]


def test_placebot_worker_will_not_start_with_a_bad_smtp_url(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters import cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SMTP_URL", "smtps://placebot:secret@mail.example.org:port")
    assert cli.main(["worker"]) == 1
    error = capsys.readouterr().err
    assert "SMTP_URL is not usable" in error and "secret" not in error


async def test_the_weekly_digest_job_mails_a_lead_who_prefers_email(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    """From the schedule to the mailbox: a new PT offer, the Monday digest job, the outbox."""
    server, port = mailbox
    await give_email(chat)
    assert "by email" in (await chat.say("nottingham-lead", "digest email")).text
    posted = await chat.say(
        "stroke-physio", "placement offer PT 1 Feb - 12 Mar 2027 2 students at Stroke Rehab"
    )
    assert posted.tone == "success", posted.text
    ref = next(f.value for f in posted.facts if f.label == "Reference")
    clock.at += timedelta(minutes=5)
    ctx = JobContext(chat.bot.sessions, clock, email_settings(settings, ""))
    # The Nottingham lead by email; the Sheffield Hallam lead (PT too) in the local chat.
    assert (await digests.weekly(ctx, clock.now())).startswith("2 weekly digests queued")
    sender = sender_for(chat, settings, clock, f"smtp://127.0.0.1:{port}")
    assert (await sender.run_once()).sent == 1  # this sender has only the email channel
    [message] = server.messages()
    assert message["To"].addresses[0].addr_spec == ADDRESS
    assert "digest" in message["Subject"].lower()
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None and ref in plain.get_content()
    assert (await digests.weekly(ctx, clock.now())).startswith("0")  # nothing new: no second


async def test_the_subject_says_what_a_scheduled_message_is(
    chat: Chat, settings: Settings, clock: FixedClock, mailbox: tuple[Mailbox, int]
) -> None:
    """Led by its kind (from the outbox key) unless its first line names it already."""
    server, port = mailbox
    await give_email(chat)
    sent = (
        (Reply(text="Could Stroke Rehab offer placements for PT year 2?"), "nudge:5:2026-11-23"),
        (Reply(text="Weekly placement summary for 2026/27."), "summary:5:2026-W48"),
        (Reply(text="NAME says they work in TEAM."), "membership:3:ask:5"),
        (Reply(text="Sent by a test."), "test:1"),
    )
    for reply, key in sent:
        await queue(chat, clock, reply, key)
    sender = sender_for(chat, settings, clock, f"smtp://127.0.0.1:{port}")
    assert (await sender.run_once()).sent == 4
    assert sorted(message["Subject"] for message in server.messages()) == [
        "Reminder: Could Stroke Rehab offer placements for PT year 2?",
        "Sent by a test.",
        "Team membership: NAME says they work in TEAM.",
        "Weekly placement summary for 2026/27.",
    ]
