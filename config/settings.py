"""Settings from the environment and `.env`, so one image runs anywhere by configuration alone."""

from __future__ import annotations

from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///placebot.db"


class Settings(BaseSettings):
    """Everything an operator can set; field names are the environment variables."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    # `GET /metrics` (Prometheus) answers only `Authorization: Bearer <this>`; unset, 404.
    placebot_metrics_token: str = ""
    # The worker serves its own /metrics on this port (0: it serves none).
    placebot_metrics_port: int = Field(default=0, ge=0, le=65535)
    # "json": one JSON object a log line, with the request id; anything else: plain text.
    placebot_log_format: str = "text"
    port: int = Field(default=3978, ge=1, le=65535)
    placebot_timezone: str = "Europe/London"
    placebot_local_chat: bool = False
    # The local chat has no login, so it is served on a loopback HOST only, unless this is set too.
    placebot_local_chat_public: bool = False
    # A stop (SIGTERM, SIGINT) finishes the work in hand and exits within this many seconds.
    placebot_shutdown_seconds: float = Field(default=20, gt=0, le=600)
    # How long one database statement may take before it fails (a frozen database fails fast).
    placebot_statement_timeout_seconds: float = Field(default=10, gt=0, le=3600)
    # Offers become visible to every HEI at once, this many hours after they are posted.
    placebot_release_delay_hours: int = Field(default=0, ge=0, le=24 * 14)
    # The register API for HEIs: requests per minute per token, page sizes, request bodies.
    placebot_api_rate_per_minute: int = Field(default=120, ge=1)
    placebot_api_page_size: int = Field(default=100, ge=1)
    placebot_api_page_size_max: int = Field(default=1000, ge=1)
    placebot_api_max_body_bytes: int = Field(default=16 * 1024, ge=1024)
    # Failed authentications a minute per client address; beyond it, 429 before any token check.
    placebot_api_auth_failures_per_minute: int = Field(default=20, ge=1)
    # The public training feed and API document: requests a minute per client address. Generous,
    # since a faculty's calendar apps may all poll from one address.
    placebot_api_feed_rate_per_minute: int = Field(default=600, ge=1)
    # Placement blocks: students in one block, and one HEI's blocks of one profession whose dates
    # overlap (each block adds to the HEI's demand at the release-time settlement). 20 is several
    # cohorts and years in parallel, more than any programme runs, yet stops an HEI from claiming a
    # larger share by posting block after block.
    placebot_block_students_max: int = Field(default=60, ge=1, le=10_000)
    placebot_blocks_per_window_max: int = Field(default=20, ge=1, le=1000)

    slack_signing_secret: str | None = None
    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"
    # Where the bot listens: the workspaces (team ids, comma-separated) whose requests are served;
    # empty serves any. A request from any other workspace gets 403 and nothing is stored.
    slack_team_ids: Annotated[frozenset[str], NoDecode] = frozenset()

    microsoft_app_id: str | None = None
    microsoft_app_password: str | None = None
    microsoft_app_tenant_id: str | None = None
    microsoft_app_type: str = "MultiTenant"
    # Where app tokens come from; derived from the tenant when unset (tests point it at a fake).
    microsoft_token_url: str | None = None
    # Where Bot Framework signing keys are published; Microsoft's public cloud when unset.
    microsoft_openid_metadata_url: str | None = None
    # Local work only: `1` mounts /api/messages with no app id, so no request is authenticated
    # and replies go to loopback service URLs only. Any other value, or `1` with an app id,
    # stops start-up (a `.env` left over from local work must not open a deployment).
    placebot_teams_allow_unauthenticated: str = ""
    # The Bot Framework channels (channel ids, comma-separated) whose activities are served;
    # the Bot Framework Emulator's `emulator` is served too in unauthenticated mode only.
    placebot_teams_channels: Annotated[frozenset[str], NoDecode] = frozenset({"msteams"})
    # The Microsoft Entra tenants (ids, comma-separated) whose activities are served; empty
    # serves any. An activity from any other tenant gets 403 and nothing is stored.
    microsoft_allowed_tenants: Annotated[frozenset[str], NoDecode] = frozenset()

    # Schedules, as crontab lines (minute hour day month weekday) in PLACEBOT_TIMEZONE.
    placebot_schedule_nudges: str = "30 9 * * mon-fri"
    placebot_schedule_digests_daily: str = "0 8 * * mon-fri"
    placebot_schedule_digests_weekly: str = "0 8 * * mon"
    placebot_schedule_summary: str = "0 16 * * fri"
    # The register's housekeeping (settle, expire, complete): on the leading worker only.
    placebot_schedule_housekeeping: str = "* * * * *"
    # A run missed while no worker was up (or the clock jumped) is caught up once within this.
    placebot_schedule_grace_hours: float = Field(default=12, gt=0, le=24 * 6)
    # How often a standby worker tries to take over the schedules.
    placebot_leader_retry_seconds: float = Field(default=5, gt=0)
    # How often senders look for due messages when the outbox was empty.
    placebot_outbox_poll_seconds: float = Field(default=2, gt=0)
    # Outbox pace per channel, messages a second shared by all workers (each reserves its
    # share of slots in the database); a channel not named is not held back. A platform's 429
    # pauses and slows its channel.
    placebot_send_rates: str = "slack=50,teams=15,email=10"
    # Sends in flight at once per worker, and rows taken per claim.
    placebot_outbox_concurrency: int = Field(default=16, ge=1, le=256)
    placebot_outbox_batch: int = Field(default=100, ge=1, le=1000)
    # How long a sender holds the rows it claimed; a dead sender's rows come back after it.
    placebot_outbox_lease_seconds: float = Field(default=300, ge=1)

    # Nudges: how far ahead each rule looks, and how long an answer may take before the nudge
    # counts as ignored (three ignored in a row pause the person).
    placebot_nudge_block_days: int = Field(default=14, ge=1, le=90)
    placebot_nudge_offer_days: int = Field(default=14, ge=1, le=90)
    placebot_nudge_training_days: int = Field(default=7, ge=1, le=60)
    placebot_nudge_repeat_days: int = Field(default=7, ge=1, le=90)
    placebot_nudge_answer_days: int = Field(default=3, ge=1, le=30)
    # HEI digests: send one even when nothing changed.
    placebot_digest_send_empty: bool = False
    # Where people and HEIs reach this server (links in digests); http://HOST:PORT when unset.
    placebot_public_url: str | None = None
    # Signs the links in digests and emails (CSV of the changes, unsubscribe); required with
    # PLACEBOT_PUBLIC_URL, so that every process signs and checks with the same secret.
    placebot_link_secret: str | None = None

    # Retention, in days (0 keeps for ever); each default and why: docs/data-protection.md.
    # Finished outbox rows (the messages people were sent), inbound receipts (platform retries
    # recognised), audit events, and offers that expired or were dropped without being placed.
    placebot_keep_deliveries_days: int = Field(default=90, ge=0)
    placebot_keep_receipts_days: int = Field(default=14, ge=0)
    placebot_keep_audit_days: int = Field(default=730, ge=0)
    placebot_keep_expired_offers_days: int = Field(default=365, ge=0)
    # When the purge of what is past those runs (a quiet hour), as a crontab line.
    placebot_schedule_purge: str = "15 3 * * *"

    smtp_url: str | None = None
    placebot_email_from: str = "PlaceBot <placebot@localhost>"

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.placebot_timezone)

    @field_validator(
        "slack_team_ids", "microsoft_allowed_tenants", "placebot_teams_channels", mode="before"
    )
    @classmethod
    def _ids_parse(cls, value: object) -> object:
        return parse_ids(value) if isinstance(value, str) else value

    @field_validator("placebot_send_rates")
    @classmethod
    def _rates_parse(cls, text: str) -> str:
        parse_rates(text)
        return text

    @cached_property
    def send_rates(self) -> dict[str, float]:
        """PLACEBOT_SEND_RATES as {channel: messages per second}."""
        return parse_rates(self.placebot_send_rates)


def parse_ids(text: str) -> frozenset[str]:
    """`"T0001, T0002,"` as {"T0001", "T0002"}: spaces and empty parts are dropped."""
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def parse_rates(text: str) -> dict[str, float]:
    """`"slack=50,teams=15"` as {channel: messages per second}; ValueError says how to fix it."""
    rates: dict[str, float] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = 0.0
        if not sep or not name.strip() or not 0 < rate < float("inf"):
            raise ValueError(
                f"{part.strip()!r} is not channel=messages per second, e.g. slack=50,teams=15"
            )
        rates[name.strip().lower()] = rate
    return rates
