"""What the browser tests share: where the browser is, how to launch it, the live server.

The browser is the one ``scripts/install_browser.sh`` installs (``/usr/bin/chromium``), not
Playwright's bundled build: ``playwright install`` downloads from a CDN that closed networks
refuse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from mediation.db import Database

CHROMIUM = Path("/usr/bin/chromium")
#: Headless Chromium on a closed network: without the background-networking flags it waits
#: for update and sync servers it cannot reach.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
#: Where tests leave files for people to look at (screenshots); ignored by git.
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

MEDIATOR_USERNAME = "wang.tiaojie"
MEDIATOR_PASSWORD = "Tiaojie-Browser-2026!"
ORGANIZATION = "黄村镇调解中心"
TOWN = "黄村镇"


@dataclass(frozen=True)
class LiveServer:
    """The application served over HTTP in a background thread."""

    url: str
    database: Database
    username: str
    password: str


class QuietHandler(WSGIRequestHandler):
    """Keep the request log out of the test output."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        return None
