"""Check the input of an action, naming the field in every error."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from mediation import clock
from mediation.errors import InvalidInput
from mediation.money import MAX_FEN, format_yuan


def text(data: Mapping[str, Any], key: str, *, required: bool = False, limit: int = 5000) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{key}: expected text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{key}: required")
    if len(value) > limit:
        raise InvalidInput(f"{key}: longer than {limit} characters")
    if has_control_characters(value):
        raise InvalidInput(f"{key}: contains control characters")
    return value


def has_control_characters(value: str) -> bool:
    """Tell whether text holds control characters other than tab and line breaks.

    PostgreSQL refuses NUL in text outright, and no other control character belongs in a
    name, a note or a number typed by a person.
    """
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value)


def fen(data: Mapping[str, Any], key: str, *, positive: bool = True) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{key}: an amount in fen (a whole number) is required")
    if value < 0 or (positive and value == 0):
        raise InvalidInput(f"{key}: the amount must be greater than zero")
    if value > MAX_FEN:
        raise InvalidInput(f"{key}: the amount must not exceed {format_yuan(MAX_FEN)} yuan")
    return value


def a_date(data: Mapping[str, Any], key: str, *, default: date | None = None) -> date:
    value = data.get(key, default)
    if isinstance(value, str):
        return clock.parse_date(value, what=key)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInput(f"{key}: a date is required")
    return value


def choice(data: Mapping[str, Any], key: str, choices: type[Any]) -> str:
    value = data.get(key, "")
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise InvalidInput(f"{key}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)
