"""A reply's chart in Slack. Block Kit images need a public URL or a Slack file, so the PNG is
uploaded first, shared with no channel (files.getUploadURLExternal, the upload,
files.completeUploadExternal), and the message then shows it in an image block by file id.
Text and chart arrive in one chat.postMessage: a delivery is either all there or not at all,
so the outbox can try again without posting the text twice."""

from __future__ import annotations

import base64
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.kernel.messages import Image


async def upload(client: AsyncWebClient, image: Image) -> str:
    """The id of the uploaded, not yet shared, PNG."""
    answer = await client.files_upload_v2(
        file=base64.b64decode(image.png_base64),
        filename="chart.png",
        title=image.title,
        alt_txt=image.alt,
    )
    found = answer.get("file") or (answer.get("files") or [{}])[0]
    return str(found["id"])


def image_block(file_id: str, image: Image) -> dict[str, Any]:
    return {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": image.alt[:2000],
        "title": {"type": "plain_text", "text": image.title[:2000]},
    }
