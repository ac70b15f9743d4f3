"""Form fields for money (yuan typed, integer fen kept) and dates."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import StringField

from mediation.errors import InvalidInput
from mediation.money import format_yuan, parse_yuan


class YuanField(StringField):
    """An amount typed in yuan ("12000", "8922.50"); ``data`` is integer fen, never float."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "placeholder": "0.00"})
        super().__init__(label, validators, **kwargs)
        self.data: int | None = None
        self.raw_text = ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.raw_text = (valuelist[0] if valuelist else "") or ""
        if not self.raw_text.strip():
            self.data = None
            return
        try:
            self.data = parse_yuan(self.raw_text, what="amount")
        except InvalidInput as exc:
            self.data = None
            if "too large" in str(exc):
                raise ValueError(_l("The amount is too large.")) from None
            raise ValueError(
                _l("Enter an amount in yuan with at most two decimals, e.g. 12000 or 8922.50.")
            ) from None

    def _value(self) -> str:
        if self.raw_text:
            return self.raw_text
        return format_yuan(self.data) if isinstance(self.data, int) else ""
