"""The HTML of the case page's form fields, exactly as WTForms writes it, for less.

The case page shows up to a dozen fields, and WTForms' own rendering costs about 100 µs a
field (attribute sorting through ``Markup.format``, ``dir()`` of the field's flags, a
translation lookup for every label and option). :func:`form_control` writes the same
``<input>``, ``<textarea>`` and ``<select>`` elements for the widgets the action forms use,
and hands any other widget to WTForms. A test renders every field of every action form both
ways and compares the HTML.

Labels and option names are lazy translations; :func:`form_text` translates each one once
per language instead of once per use. :func:`fresh_html` keeps the HTML of fresh forms, which
depends only on the form, the language, the day and the initial data.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from flask_babel.speaklater import LazyString
from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import DateInput, HiddenInput, Select, TextArea, TextInput

from mediation.money import format_yuan
from mediation.web.navigation import request_translations
from mediation.web.templating import escape_output

#: The attributes each widget copies from the field's flags (WTForms' ``validation_attrs``).
_FLAG_ATTRIBUTES: dict[type, frozenset[str]] = {
    TextInput: frozenset(TextInput.validation_attrs),
    HiddenInput: frozenset(HiddenInput.validation_attrs),
    DateInput: frozenset(DateInput.validation_attrs),
    TextArea: frozenset(TextArea.validation_attrs),
    Select: frozenset(Select.validation_attrs),
}

_texts: dict[tuple[int, int], tuple[Any, Any, str]] = {}


def form_text(value: Any) -> str:
    """Return a label in this request's language; lazy ones are translated once per language.

    The result is what ``str(value)`` gives.
    """
    if not isinstance(value, LazyString):
        return str(value)
    translations = request_translations()
    key = (id(value), id(translations))
    entry = _texts.get(key)
    # The entry keeps both objects alive, so that their ids cannot be reused meanwhile.
    if entry is None or entry[0] is not value or entry[1] is not translations:
        entry = _texts[key] = (value, translations, str(value))
    return entry[2]


def field_label(field: Field) -> str:
    """Return the text of a field's label in this request's language."""
    return form_text(field.label.text)


@lru_cache(maxsize=256)
def _clean_key(key: str) -> str:
    # As wtforms.widgets.core.clean_key: ``class_`` is ``class``, ``data_x`` is ``data-x``.
    # (A handful of names, each cleaned once.)
    key = key.rstrip("_")
    if key.startswith("data_") or key.startswith("aria_"):
        key = key.replace("_", "-")
    return key


def _attributes(values: Mapping[str, Any]) -> str:
    # As wtforms.widgets.core.html_params: sorted by name, True alone, False left out; the
    # values escaped as markupsafe.escape does, without a Markup object each.
    parts = []
    for key, value in sorted(values.items()):
        key = _clean_key(key)
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f'{key}="{escape_output(value)}"')
    return " ".join(parts)


def _with_flags(field: Field, widget: type, values: dict[str, Any]) -> None:
    # The flags its validators and widget set (``required``, ``maxlength`` …) are the
    # attributes of the field's Flags object.
    wanted = _FLAG_ATTRIBUTES[widget]
    inputs = widget is TextInput or widget is DateInput or widget is HiddenInput
    for key, value in vars(field.flags).items():
        if key in wanted and key not in values:
            values[key] = value() if inputs and callable(value) else value


def form_control(field: Field, **kwargs: Any) -> Markup:
    """Return ``field(**kwargs)`` — the field's HTML — written without WTForms' widgets.

    Covers the text, date, hidden, text area and (single, ungrouped) select widgets; anything
    else is rendered by WTForms itself.
    """
    widget = type(field.widget)
    if widget not in _FLAG_ATTRIBUTES or getattr(field, "_datalist", None) is not None:
        return Markup(field(**kwargs))
    if widget is Select and (field.widget.multiple or field.has_groups()):
        return Markup(field(**kwargs))
    # As DefaultMeta.render_field: the field's render_kw, overridden by the caller's.
    values = {_clean_key(k): v for k, v in (field.render_kw or {}).items()}
    values.update({_clean_key(k): v for k, v in kwargs.items()})
    values.setdefault("id", field.id)
    if widget is TextArea:
        _with_flags(field, widget, values)
        values["name"] = field.name
        text = escape_output(field._value())
        return Markup(f"<textarea {_attributes(values)}>\r\n{text}</textarea>")
    if widget is Select:
        _with_flags(field, widget, values)
        values["name"] = field.name
        options = []
        for choice in field.iter_choices():
            value = str(choice.value) if isinstance(choice.value, bool) else choice.value
            label = form_text(choice.label) if choice.label is not None else ""
            text = escape_output(label or value)
            if choice.render_kw:
                option = {"value": value, **choice.render_kw}
                if choice.selected:
                    option["selected"] = True
                options.append(f"<option {_attributes(option)}>{text}</option>")
            else:
                # The two attributes in html_params' (alphabetical) order.
                selected = "selected " if choice.selected else ""
                options.append(f'<option {selected}value="{escape_output(value)}">{text}</option>')
        return Markup(f"<select {_attributes(values)}>{''.join(options)}</select>")
    values.setdefault("type", field.widget.input_type)
    if "value" not in values:
        values["value"] = field._value()
    _with_flags(field, widget, values)
    values["name"] = field.name
    return Markup(f"<input {_attributes(values)}>")


#: What fresh forms (as first shown, nothing submitted) are written as, by what makes it.
_fresh: dict[Hashable, Any] = {}
#: How many are kept (a few KB each); past it the memo starts again.
MAX_FRESH = 256

T = TypeVar("T")


def fresh(key: Hashable, build: Callable[[], T]) -> T:
    """Return what ``build()`` returns for ``key``: built the first time, then kept.

    For the HTML of fresh forms, which shows nothing but their labels, choices and initial
    data, and so is the same wherever those are: ``key`` must name all of them — the form,
    the language, the day (date fields start from today) and the initial data. Building a
    form with WTForms and writing its fields costs 100-200 µs a form, a good part of a page
    that shows several.
    """
    value: T | None = _fresh.get(key)
    if value is None:
        value = build()
        if len(_fresh) >= MAX_FRESH:
            _fresh.clear()
        _fresh[key] = value
    return value


def fresh_html(key: Hashable, render: Callable[[], str]) -> Markup:
    """Return the HTML ``render()`` writes for ``key``, kept as :func:`fresh` keeps it."""
    return fresh(key, lambda: Markup(render()))


#: An amount no case has (past MAX_FEN): written into a fresh form's kept HTML where a case's
#: own amount goes (with ``+ n`` for the n-th), then replaced by it (:func:`put_amounts`).
PLACEHOLDER_FEN = 123_456_789_012_345_600


def put_amounts(html: str, amounts: Mapping[int, int | None]) -> Markup | None:
    """Return ``html`` with each placeholder amount's input value replaced by its amount.

    ``amounts`` maps the placeholder written into the form to the case's amount (None: no
    amount, an empty field). None if a placeholder is not there exactly once, as an input's
    value (the form then has to be built after all).
    """
    text = str(html)  # (Markup's own replace would escape the new text)
    for placeholder, amount in amounts.items():
        written = f'value="{format_yuan(placeholder)}"'
        if text.count(written) != 1:
            return None
        value = format_yuan(amount) if amount is not None else ""
        text = text.replace(written, f'value="{value}"')
    return Markup(text)
