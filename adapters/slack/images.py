"""A reply's chart in Slack. Block Kit images need a public URL or a Slack file, so the PNG is
uploaded first, shared with no channel (files.getUploadURLExternal, the upload,
files.completeUploadExternal), and the message then shows it in an image block by file id.

Slack finishes an upload asynchronously: an image block naming a file still being processed is
refused (`invalid_blocks`), and with it the whole message. So the upload is waited for
(files.info, scope `files:read`, until the file has its type) before the image block is
posted, and a chart that cannot be attached never costs the text: the message goes without
it and says so."""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.kernel.messages import Image

log = logging.getLogger(__name__)

FIRST_WAIT_SECONDS = 0.2  # then doubling, up to
LONGEST_WAIT_SECONDS = 2.0
READY_WITHIN_SECONDS = 20.0  # after which the message goes without the chart
NOT_ATTACHED = "The chart could not be attached this time; the figures above are complete."


class NotAttached(Exception):
    """The chart is not in Slack in time (or at all); the text goes without it."""


def ready(file: dict[str, Any]) -> bool:
    """Whether Slack has finished with an uploaded file: it then knows its type."""
    return bool(file.get("mimetype"))


async def wait_until_ready(client: AsyncWebClient, file_id: str) -> None:
    """Return once files.info says the file is processed; NotAttached when it never is."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + READY_WITHIN_SECONDS
    wait = FIRST_WAIT_SECONDS
    while True:
        answer = await client.files_info(file=file_id)
        if ready(answer.get("file") or {}):
            return
        if loop.time() + wait > give_up:
            raise NotAttached(f"Slack had not processed file {file_id} in time")
        await asyncio.sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT_SECONDS)


async def upload(client: AsyncWebClient, image: Image) -> str:
    """The id of the uploaded, not yet shared, PNG, once Slack has processed it."""
    answer = await client.files_upload_v2(
        file=base64.b64decode(image.png_base64),
        filename="chart.png",
        title=image.title,
        alt_txt=image.alt,
    )
    found = answer.get("file") or (answer.get("files") or [{}])[0]
    file_id = str(found["id"])
    await wait_until_ready(client, file_id)
    return file_id


async def attached(client: AsyncWebClient, image: Image) -> dict[str, Any] | None:
    """The chart's image block, or None (logged) when it cannot be attached. A 429 is raised:
    nothing has been posted yet, so the outbox may try the whole message later."""
    try:
        return image_block(await upload(client, image), image)
    except SlackApiError as error:
        if error.response.status_code == 429:
            raise
        log.warning("Slack: chart not attached: %s", error.response.get("error"))
    except NotAttached as error:
        log.warning("Slack: chart not attached: %s", error)
    return None


def image_block(file_id: str, image: Image) -> dict[str, Any]:
    return {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": image.alt[:2000],
        "title": {"type": "plain_text", "text": image.title[:2000]},
    }
