"""The verification URL an issued document carries (printed, and in its QR code).

``PUBLIC_BASE_URL`` (environment, or the web application's config) is the address the public
reaches the application at, e.g. ``https://tiaojie.example.gov.cn``. The web application falls
back to the address of the request; the command line to :data:`DEFAULT_BASE_URL`.
"""

from __future__ import annotations

import os
import re
from typing import Final
from urllib.parse import quote, urlsplit

from mediation.errors import InvalidInput

#: The command line's base URL when ``PUBLIC_BASE_URL`` is not set: where ``mediation serve``
#: listens by default.
DEFAULT_BASE_URL: Final = "http://127.0.0.1:5000"

_PRINTABLE_ASCII = re.compile(r"\A[!-~]+\Z")


def base_url_from_env(default: str = DEFAULT_BASE_URL) -> str:
    """Return ``PUBLIC_BASE_URL`` from the environment, or ``default``."""
    return os.environ.get("PUBLIC_BASE_URL", "").strip() or default


def check_base_url(base_url: str) -> str:
    """Return the base URL without a trailing slash; refuse anything but absolute http(s)."""
    parts = urlsplit(base_url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
        or not _PRINTABLE_ASCII.match(base_url)
    ):
        raise InvalidInput(
            f"PUBLIC_BASE_URL: {base_url!r} is not an absolute http(s) address such as "
            "https://tiaojie.example.gov.cn"
        )
    return base_url.rstrip("/")


def verification_path(number: str, version: int | None = None) -> str:
    """Return the path of a document's verification page (``/verify/<number>[/<version>]``)."""
    path = f"/verify/{quote(number, safe='')}"
    return path if version is None else f"{path}/{version}"


def verification_url(base_url: str, number: str, version: int) -> str:
    """Return the absolute URL of one version's verification page."""
    return check_base_url(base_url) + verification_path(number, version)
