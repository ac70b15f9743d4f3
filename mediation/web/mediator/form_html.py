"""The HTML of the case page's form fields, exactly as WTForms writes it, for less.

The case page shows up to a dozen fields, and WTForms' own rendering costs about 100 µs a
field (attribute sorting through ``Markup.format``, ``dir()`` of the field's flags, a
translation lookup for every label and option). :func:`form_control` writes the same
``<input>``, ``<textarea>`` and ``<select>`` elements for the widgets the action forms use,
and hands any other widget to WTForms. A test renders every field of every action form both
ways and compares the HTML.

Labels and option names are lazy translations; :func:`form_text` translates each one once
per language instead of once per use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.widgets import DateInput, HiddenInput, Select, TextArea, TextInput

from mediation.web.navigation import request_translations

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


def _clean_key(key: str) -> str:
    # As wtforms.widgets.core.clean_key: ``class_`` is ``class``, ``data_x`` is ``data-x``.
    key = key.rstrip("_")
    if key.startswith("data_") or key.startswith("aria_"):
        key = key.replace("_", "-")
    return key


def _attributes(values: Mapping[str, Any]) -> str:
    # As wtforms.widgets.core.html_params: sorted by name, True alone, False left out.
    parts = []
    for key, value in sorted(values.items()):
        key = _clean_key(key)
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f'{key}="{escape(value)}"')
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
        return Markup(f"<textarea {_attributes(values)}>\r\n{escape(field._value())}</textarea>")
    if widget is Select:
        _with_flags(field, widget, values)
        values["name"] = field.name
        options = []
        for choice in field.iter_choices():
            value = str(choice.value) if isinstance(choice.value, bool) else choice.value
            option = {"value": value, **(choice.render_kw or {})}
            if choice.selected:
                option["selected"] = True
            label = form_text(choice.label) if choice.label is not None else ""
            options.append(f"<option {_attributes(option)}>{escape(label or value)}</option>")
        return Markup(f"<select {_attributes(values)}>{''.join(options)}</select>")
    values.setdefault("type", field.widget.input_type)
    if "value" not in values:
        values["value"] = field._value()
    _with_flags(field, widget, values)
    values["name"] = field.name
    return Markup(f"<input {_attributes(values)}>")
