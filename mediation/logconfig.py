"""How the service logs: one line per record, as text or JSON, without ID or phone numbers.

``LOG_FORMAT`` (environment) is ``text`` (default) or ``json``; ``LOG_LEVEL`` defaults to
INFO. Text lines read ``2026-03-01T09:30:00+0000 INFO mediation.auth auth action=login …``;
JSON lines carry ``time``, ``level``, ``logger``, ``message`` and, for the authentication log
(:mod:`mediation.web.authlog`), ``action``, ``outcome``, ``actor``, ``object``, ``ip`` and
``reason``. Every record passes a filter that masks any run of six or more digits, so a
resident ID or phone number that reaches a message (an exception text, a typed user name) is
never written whole.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys

_LONG_NUMBER = re.compile(r"\d{6,}[\dXx]?")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
AUTH_FIELDS = ("action", "outcome", "actor", "object", "ip", "reason")


def mask_numbers(text: str) -> str:
    """Mask every run of 6 or more digits (an ID or phone number, perhaps) in ``text``."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        return value[:3] + "*" * (len(value) - 5) + value[-2:]

    return _LONG_NUMBER.sub(mask, text)


class MaskNumbers(logging.Filter):
    """Rewrite a record's message with long digit runs masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, DATE_FORMAT),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in AUTH_FIELDS:
            value = getattr(record, f"auth_{field}", None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = mask_numbers(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str | None = None, level: str | None = None) -> None:
    """Send the ``mediation`` loggers to standard error in the chosen format."""
    fmt = (fmt or os.environ.get("LOG_FORMAT") or "text").strip().lower()
    if fmt not in {"text", "json"}:
        raise ValueError(f"LOG_FORMAT must be text or json, not {fmt!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT, DATE_FORMAT)
    )
    handler.addFilter(MaskNumbers())
    logger = logging.getLogger("mediation")
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    logger.propagate = False
