"""Starting the things page tests drive: Debian's Chromium through Playwright, and `placebot
demo` on a free port, each once, so every page test starts them the same way."""

from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support.paths import ROOT

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BANNER = re.compile(r"PlaceBot demo is running: open (http://\S+)")
STARTUP_SECONDS = 60
# Playwright waits this long for a reply to appear before failing.
REPLY_MS = 15_000


def chromium_path() -> str:
    """Debian's Chromium (Playwright's own download cannot run here); fails in CI, skips
    elsewhere, naming the package."""
    found = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(
            "Chromium not installed: the browser tests need it in CI (apt-get install chromium)"
        )
    pytest.skip("Chromium not installed: apt-get install chromium")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium for one module or test; closed however the test ends."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def running_demo(database: Path, **env: str) -> Iterator[str]:
    """`placebot demo` on a fresh SQLite file and a free port, with extra environment; its URL,
    as its banner prints it. Its output is drained all along, so it never blocks on a full pipe."""
    port = free_port()
    environment = os.environ | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "demo"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def drain() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=drain, daemon=True).start()
    seen: list[str] = []
    url = None
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while url is None:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no banner within {STARTUP_SECONDS}s; output:\n{''.join(seen)}")
            if line is None:
                pytest.fail(f"placebot demo exited ({process.wait()}); output:\n{''.join(seen)}")
            seen.append(line)
            if found := BANNER.search(line):
                url = found.group(1)
        assert url == f"http://127.0.0.1:{port}/"
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
