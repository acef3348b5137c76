"""`placebot teams-package`: the zip a Teams admin uploads (manifest.json and two icons)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

NHS_BLUE = (0, 94, 184)
MANIFEST_SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
)
COMMANDS = [
    {"title": "placement offer", "description": "Offer a placement (opens a form)"},
    {"title": "placement mine", "description": "Your team's offers"},
    {"title": "placement list", "description": "Open offers, e.g. placement list PT"},
    {"title": "placement blocks", "description": "Blocks that need places"},
    {"title": "training", "description": "Upcoming educator training, e.g. training OT"},
    {"title": "nudges status", "description": "Your reminders: on, off, snooze 2w"},
    {"title": "summary", "description": "Faculty leads: this week's placement figures now"},
    {"title": "placement help", "description": "What PlaceBot can do"},
]


def png(size: int, colour: tuple[int, int, int], transparent_background: bool = False) -> bytes:
    """A square PNG: a filled square, or for the outline icon a white square on transparency."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    margin = size // 6
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            inside = margin <= x < size - margin and margin <= y < size - margin
            if transparent_background:
                row += bytes((255, 255, 255, 255 if inside else 0))
            else:
                row += bytes((*colour, 255))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def manifest(app_id: str, host: str, version: str = "1.0.0") -> dict[str, Any]:
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": "1.17",
        "version": version,
        "id": app_id,
        "developer": {
            "name": "PlaceBot",
            "websiteUrl": f"https://{host}/",
            "privacyUrl": f"https://{host}/",
            "termsOfUseUrl": f"https://{host}/",
        },
        "name": {
            "short": "PlaceBot",
            "full": "PlaceBot: AHP placement offers and educator training",
        },
        "description": {
            "short": "Offer placements and find educator training.",
            "full": "Post and manage AHP placement offers in one line or a card, answer HEI "
            "blocks, and find upcoming practice educator training, all in one shared register.",
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#005EB8",
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team", "groupChat"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {"scopes": ["personal", "team", "groupChat"], "commands": COMMANDS}
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def write_package(path: Path, app_id: str, host: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id, host), indent=2))
        archive.writestr("color.png", png(192, NHS_BLUE))
        archive.writestr("outline.png", png(32, (255, 255, 255), transparent_background=True))
    path.write_bytes(buffer.getvalue())
