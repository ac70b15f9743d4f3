"""Money is integer fen (分). These functions are the only way in and out of yuan text."""

from __future__ import annotations

import re

from mediation.errors import InvalidInput

#: The largest amount the engine accepts: 999,999,999,999.99 yuan (the range of the Chinese
#: capital amounts on documents), well inside the 64-bit amount columns.
MAX_FEN = 99_999_999_999_999

_YUAN = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d{1,2}))?$")


def parse_yuan(text: str, *, what: str = "amount") -> int:
    """Turn yuan text such as "12000" or "8922.50" into fen, refusing anything else.

    Thousands separators, a leading "¥" and surrounding blanks are accepted; a negative
    amount, more than two decimals or anything that is not a number is refused.
    """
    cleaned = text.strip().replace(",", "").replace("，", "").removeprefix("¥").strip()
    if cleaned.startswith("-"):
        raise InvalidInput(f"{what}: {text!r} is negative")
    match = _YUAN.match(cleaned)
    if match is None:
        if re.match(r"^\d+\.\d{3,}$", cleaned):
            raise InvalidInput(f"{what}: {text!r} has more than two decimals")
        raise InvalidInput(f"{what}: {text!r} is not an amount in yuan (e.g. 12000 or 8922.50)")
    frac = (match.group("frac") or "").ljust(2, "0")
    fen = int(match.group("int")) * 100 + int(frac)
    if fen > MAX_FEN:
        raise InvalidInput(f"{what}: {text!r} is too large (at most 999999999999.99 yuan)")
    return fen


def format_yuan(fen: int) -> str:
    """Show fen as yuan with two decimals: 892250 -> "8922.50"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def format_wan(fen: int) -> str:
    """Show fen as 万元 with two decimals, as the unions' statistics do: 892200000 -> "89.22"."""
    # Round half up on the integer number of fen: 1 万元 = 1,000,000 fen.
    hundredths = (fen * 100 + 500_000) // 1_000_000
    return f"{hundredths // 100}.{hundredths % 100:02d}"
