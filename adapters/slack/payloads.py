"""What Slack's payloads say, read once: the text as typed, the workspace, the delivery key;
and the Web API client every Slack call goes through."""

from __future__ import annotations

import re
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from config.settings import Settings

RATE_LIMIT_RETRIES = 3
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")


def as_typed(text: str) -> str:
    """Slash-command text as the person typed it: Slack escapes &, < and > and wraps links."""
    text = _SLACK_LINK.sub(r"\1", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def web_client(settings: Settings) -> AsyncWebClient:
    """The Web API client; 429 answers are retried after the Retry-After Slack asks for."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )


def command_key(body: dict[str, Any]) -> str:
    """A slash command's delivery key: Slack's retries of it carry the same trigger id."""
    return f"slack:command:{body.get('trigger_id')}"


def workspace_of(body: dict[str, Any]) -> str:
    """The team id the listeners act for: `team_id` (slash commands, events) or `team.id`
    (block_actions, view_submission); "" when the payload names none (an org-wide install)."""
    team_id = body.get("team_id")
    if isinstance(team_id, str) and team_id:
        return team_id
    team = body.get("team")
    found = team.get("id") if isinstance(team, dict) else None
    return found if isinstance(found, str) else ""
