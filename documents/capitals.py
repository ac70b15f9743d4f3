"""Amounts as printed on documents: in figures (¥12,000.00) and in Chinese capitals.

The capitals follow the banks' rules for writing amounts (中国人民银行《正确填写票据和结算
凭证的基本规定》), choosing one form where the rules allow two, so that every amount has
exactly one spelling:

- 拾 is always preceded by its digit: 壹拾元整, 壹拾万元整, 壹佰壹拾元整 (the bank form; a bare
  拾 could be altered by writing a digit in front of it).
- A run of zeros inside the number is written as one 零, also across the 万 and 亿 sections:
  1,409 → 壹仟肆佰零玖元整; 100,000,001 → 壹亿零壹元整; 10,010,000 → 壹仟零壹万元整.
- Zeros at the end of a section are not written when the next section starts with a non-zero
  thousands digit (the rules allow both forms; we use the shorter one, as the integer is read
  aloud): 107,000 → 壹拾万柒仟元整, but 100,700 → 壹拾万零柒佰元整.
- No 零 between 元 and 角 (allowed both ways): 1,680.32 → 壹仟陆佰捌拾元叁角贰分.
- 角 without 分 ends with 整: 伍角整; 分 without 角 takes 零: 叁元零伍分.
- Whole yuan end with 整: 壹万贰仟元整; zero is 零元整; below one yuan there is no 元
  (伍角整, 伍分, 伍角叁分).
- Every amount starts with 人民币.

Amounts are integer fen from 0 to 99,999,999,999,999 (999,999,999,999.99 yuan, the range the
case engine accepts); anything else raises :class:`ValueError`.
"""

from __future__ import annotations

from typing import Final

#: The largest amount that can be written: 999,999,999,999.99 yuan.
MAX_FEN: Final = 99_999_999_999_999

CURRENCY: Final = "人民币"

_DIGITS: Final = "零壹贰叁肆伍陆柒捌玖"
#: Units of the four digits of a section, from the thousands down.
_PLACES: Final = ("仟", "佰", "拾", "")
#: The sections of the integer part, from the highest: 亿 (10^8), 万 (10^4), units.
_SECTIONS: Final = (("亿", 10**8), ("万", 10**4), ("", 1))


def _check(fen: int) -> None:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"an amount is an integer number of fen, not {fen!r}")
    if fen < 0:
        raise ValueError(f"an amount cannot be negative: {fen} fen")
    if fen > MAX_FEN:
        raise ValueError(f"an amount cannot exceed 999,999,999,999.99 yuan: {fen} fen")


def _section(value: int) -> str:
    """Write 1..9999 without leading or trailing zeros, inner zero runs as one 零."""
    digits = f"{value:04d}"
    parts: list[str] = []
    zero_pending = False
    for digit, place in zip(digits, _PLACES, strict=True):
        if digit == "0":
            zero_pending = bool(parts)
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        parts.append(_DIGITS[int(digit)] + place)
    return "".join(parts)


def _integer(yuan: int) -> str:
    """Write a positive number of whole yuan without the 元."""
    parts: list[str] = []
    zero_pending = False
    for name, size in _SECTIONS:
        value = (yuan // size) % 10_000
        if value == 0:
            # A whole empty section between written ones reads as one 零.
            zero_pending = zero_pending or bool(parts)
            continue
        if parts and value < 1000:
            zero_pending = True  # the section starts with zeros: 壹万零伍佰
        if zero_pending:
            parts.append("零")
            zero_pending = False
        parts.append(_section(value) + name)
    return "".join(parts)


def yuan_in_capitals(fen: int) -> str:
    """Write an amount of fen in Chinese financial capitals: 1200000 -> 人民币壹万贰仟元整."""
    _check(fen)
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    text = CURRENCY
    if yuan:
        text += _integer(yuan) + "元"
    elif not cents:
        return text + "零元整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    if fen_digit:
        if yuan and not jiao:
            text += "零"
        return text + _DIGITS[fen_digit] + "分"
    return text + "整"


def yuan_in_figures(fen: int) -> str:
    """Write an amount of fen in figures with thousands separators: 1200000 -> ¥12,000.00."""
    _check(fen)
    yuan, cents = divmod(fen, 100)
    return f"¥{yuan:,}.{cents:02d}"
