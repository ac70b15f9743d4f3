"""The identity-number, phone and money fields users type into."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from forms.fields import YuanField
from forms.validators import CreditCode, Phone, ResidentId


class _Form(FlaskForm):
    id_number = StringField(validators=[ResidentId()])
    credit_code = StringField(validators=[CreditCode()])
    phone = StringField(validators=[Phone()])
    amount = YuanField()


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    return app


def _form(app: Flask, **data: str) -> _Form:
    with app.test_request_context():
        form = _Form(formdata=MultiDict(data))
        form.validate()
        return form


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110115199003071231 ", "110115199003071231"),
    ],
)
def test_resident_id_with_correct_check_digit_is_accepted(app, value, kept):
    form = _form(app, id_number=value)
    assert not form.id_number.errors and form.id_number.data == kept


@pytest.mark.parametrize(
    "value",
    ["110105194912310021", "11010519491231002", "1101051949123100211", "ABCDEFGHIJKLMNOPQR"],
)
def test_resident_id_with_wrong_digit_or_length_is_refused(app, value):
    assert _form(app, id_number=value).id_number.errors


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91350100m000100y43"])
def test_credit_code_with_correct_check_character_is_accepted(app, value):
    assert not _form(app, credit_code=value).credit_code.errors


@pytest.mark.parametrize("value", ["91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43"])
def test_credit_code_with_wrong_character_or_length_is_refused(app, value):
    assert _form(app, credit_code=value).credit_code.errors


@pytest.mark.parametrize("value", ["13800138000", "010-12345678", "01012345678"])
def test_phone_numbers_are_accepted(app, value):
    assert not _form(app, phone=value).phone.errors


@pytest.mark.parametrize("value", ["12345", "1380013800a", "23800138000"])
def test_bad_phone_numbers_are_refused(app, value):
    assert _form(app, phone=value).phone.errors


@pytest.mark.parametrize(
    ("text", "fen"), [("12000", 1_200_000), ("8922.50", 892_250), ("0.05", 5), ("1,234.5", 123_450)]
)
def test_yuan_field_keeps_integer_fen(app, text, fen):
    form = _form(app, amount=text)
    assert not form.amount.errors and form.amount.data == fen and isinstance(form.amount.data, int)


@pytest.mark.parametrize("text", ["12.345", "-5", "1e99", "abc", "NaN", "-0"])
def test_yuan_field_refuses_what_is_not_an_amount(app, text):
    form = _form(app, amount=text)
    assert form.amount.errors and form.amount.data is None
