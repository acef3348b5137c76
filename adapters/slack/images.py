"""A reply's chart in Slack. Block Kit images need a public URL, so the PNG is uploaded into
the conversation instead (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""

from __future__ import annotations

import base64

from slack_sdk.web.async_client import AsyncWebClient

from bot.messages import Image


async def upload(client: AsyncWebClient, channel: str, image: Image) -> None:
    await client.files_upload_v2(
        channel=channel,
        file=base64.b64decode(image.png_base64),
        filename="chart.png",
        title=image.title,
        alt_txt=image.alt,
    )
