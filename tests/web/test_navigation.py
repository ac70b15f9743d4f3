"""The layout's addresses and the WTForms catalogue are worked out once, and stay right.

Every page's layout links to the same dozen addresses; :func:`page_layout` computes them once
per address prefix instead of calling ``url_for`` a dozen times a page. They must be what
``url_for`` and Bootstrap-Flask give in that request, under any prefix a proxy sets. The
WTForms messages come from a catalogue read once per language: still in the request's
language.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, url_for
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from forms.assignments import LegalHelpCancelForm
from mediation.app import create_app
from mediation.web.navigation import NAV_LINKS, page_layout


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    application = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "test", "TESTING": True})
    yield application


@pytest.mark.parametrize("prefix", ["", "/mediation", "/deep/er"])
def test_the_layout_links_to_what_url_for_gives(app: Flask, prefix: str):
    with app.test_request_context("/m/", base_url=f"http://localhost{prefix}/"):
        assert url_for("auth.home") == f"{prefix}/"
        layout = page_layout()
        bootstrap = app.extensions["bootstrap"]
        assert layout.bootstrap_css == bootstrap.load_css()
        assert layout.bootstrap_js == bootstrap.load_js()
        assert layout.stylesheet == url_for("static", filename="app.css")
        assert layout.home == url_for("auth.home")
        assert layout.set_language == url_for("auth.set_language")
        assert layout.change_password == url_for("auth.change_password")
        assert layout.logout == url_for("auth.logout")
        for role, links in NAV_LINKS.items():
            assert layout.nav[role] == tuple(
                (endpoint, url_for(endpoint))
                for endpoint, _label in links
                if endpoint in app.view_functions
            )
        # Built once per prefix.
        assert page_layout() is layout


def test_the_layout_keeps_a_bounded_number_of_prefixes(app: Flask):
    for n in range(40):
        with app.test_request_context("/", base_url=f"http://localhost/p{n}/"):
            assert page_layout().home == f"/p{n}/"
    assert len(app.extensions["mediation_layouts"]) <= 16


@pytest.mark.parametrize(
    ("locale", "required"), [("zh_CN", "该字段是必填字段。"), ("en", "This field is required.")]
)
def test_wtforms_messages_are_in_the_request_language(app: Flask, locale: str, required: str):
    for _ in range(2):  # the second request takes the catalogue read by the first
        with app.test_request_context("/"), force_locale(locale):
            form = LegalHelpCancelForm(formdata=MultiDict({"version": "1"}), meta={"csrf": False})
            assert not form.validate()
            assert form.reason.errors == [required]
