"""The case page writes its form fields itself: exactly the HTML WTForms would write."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Field, FieldList, FormField, SelectField, TextAreaField

from forms.case_actions import ACTION_FORMS, ActionForm
from forms.fields import YuanField
from mediation.app import create_app
from mediation.web.mediator.form_html import field_label, form_control, form_text

TRICKY = "Ünïcode <b>\"quoted\" & 'single'</b>"


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    application = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "test", "TESTING": True})
    yield application


def _fields(form: Any) -> Iterator[Field]:
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                yield from _fields(entry.form if isinstance(entry, FormField) else [entry])
        elif isinstance(field, FormField):
            yield from _fields(field.form)
        else:
            yield field


def _value(field: Field) -> Any:
    if isinstance(field, YuanField):
        return 1_234_567
    if isinstance(field, DateField):
        return date(2026, 3, 20)
    if isinstance(field, SelectField):
        choices = list(field.iter_choices())
        return choices[-1].value
    if isinstance(field, TextAreaField):
        return f"line 1\n{TRICKY}"
    return TRICKY


def _fresh(form_class: type[ActionForm]) -> ActionForm:
    probe = form_class(formdata=None, meta={"csrf": False})
    data: dict[str, Any] = {"version": 7}
    for field in probe:
        if field.name in ("version", "csrf_token") or isinstance(field, FieldList):
            continue
        data[field.name] = _value(field)
    return form_class(formdata=None, data=data, meta={"csrf": False})


def _submitted(form_class: type[ActionForm], junk: str) -> ActionForm:
    probe = form_class(formdata=None, meta={"csrf": False})
    formdata = MultiDict({"version": "7"})
    for field in _fields(probe):
        if field.name != "version":
            formdata[field.name] = junk
    form = form_class(formdata=formdata, meta={"csrf": False})
    form.validate()
    return form


def _same_html(form: ActionForm, action: str) -> None:
    for field in _fields(form):
        if field.name == "version":
            continue
        for kwargs in (
            {},
            {"id": f"{action}-{field.name}", "class_": "form-control form-control-sm"},
            {
                "id": f"{action}-{field.name}",
                "class_": "form-select is-invalid",
                "aria-describedby": f"error-{action}-{field.name}",
            },
        ):
            assert str(form_control(field, **kwargs)) == str(field(**kwargs)), (action, field)
        assert field_label(field) == str(field.label.text)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("action", sorted(ACTION_FORMS))
def test_every_action_form_field_renders_as_wtforms_does(app: Flask, action: str, locale: str):
    form_class = ACTION_FORMS[action]
    with app.test_request_context("/"), force_locale(locale):
        _same_html(form_class(formdata=None, data={"version": 3}, meta={"csrf": False}), action)
        _same_html(_fresh(form_class), action)
        for junk in ("", "<script>alert(1)</script>", "1e99", "-0", "12.345", "2026-02-30"):
            _same_html(_submitted(form_class, junk), action)


def test_labels_are_translated_per_request_language(app: Flask):
    form_class = ACTION_FORMS["record_payment"]
    with app.test_request_context("/"):
        form = form_class(formdata=None, meta={"csrf": False})
        with force_locale("en"):
            assert field_label(form.amount) == "Amount (yuan)"
        with force_locale("zh_CN"):
            assert field_label(form.amount) == "金额（元）"
        assert form_text("plain") == "plain"


def _panel_forms(junk: str | None) -> Iterator[Any]:
    """The forms of the case page's legal-help and corrections panels and of the lawyers'
    assignment page (lawyer/_form.html), fresh or sent back."""
    from forms.assignments import (
        AssignmentCompleteForm,
        AssignmentReleaseForm,
        LegalHelpCancelForm,
        LegalHelpRequestForm,
    )
    from forms.supervision import CorrectionRequestForm

    if junk is None:
        yield LegalHelpRequestForm(formdata=None, data={"due_on": date(2026, 3, 20)})
        yield LegalHelpCancelForm(formdata=None, data={"version": 4})
        yield AssignmentCompleteForm(formdata=None, data={"version": 2, "hours": 90})
        yield AssignmentReleaseForm(formdata=None, data={"version": 2})
        yield CorrectionRequestForm(
            formdata=None,
            data={"terms": [1_234_567, 0], "instalments": [100, 99_999_999]},
            meta={"csrf": False},
        )
        return
    sent = MultiDict(
        {
            "kind": junk,
            "needed": junk,
            "due_on": junk,
            "version": junk,
            "reason": junk,
            "outcome": junk,
            "hours": junk,
            "terms-0": junk,
            "terms-1": "12.5",
            "instalments-0": junk,
        }
    )
    for form in (
        LegalHelpRequestForm(formdata=sent),
        LegalHelpCancelForm(formdata=sent),
        AssignmentCompleteForm(formdata=sent),
        AssignmentReleaseForm(formdata=sent),
        CorrectionRequestForm(formdata=sent),
    ):
        form.validate()
        yield form


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_panel_and_lawyer_forms_render_as_wtforms_does(app: Flask, locale: str):
    # Their hidden fields (the CSRF token, the version) too: form_control writes them.
    with app.test_request_context("/"), force_locale(locale):
        for junk in (None, "", "<script>alert(1)</script>", "1e99", "-0", "12.345", TRICKY):
            for form in _panel_forms(junk):
                for field in _fields(form):
                    for kwargs in (
                        {},
                        {"id": f"x-{field.name}", "class_": "form-control form-control-sm"},
                        {"id": f"x-{field.name}", "class_": "form-select is-invalid"},
                    ):
                        assert str(form_control(field, **kwargs)) == str(field(**kwargs)), field
                    assert field_label(field) == str(field.label.text)
