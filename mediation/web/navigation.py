"""The navigation bar of each role, and template helpers every page uses."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

#: The pages in the navigation bar of each role; endpoints not (yet) registered are skipped.
NAV_LINKS: dict[str, list[tuple[str, Any]]] = {
    "mediator": [
        ("mediator.dashboard", _l("Dashboard")),
        ("mediator.case_list", _l("Cases")),
        ("mediator.new_case", _l("Register a dispute")),
        ("overview.index", _l("Overview")),
    ],
    "lawyer": [("overview.index", _l("Overview"))],
    "supervisor": [("overview.index", _l("Overview"))],
    "admin": [
        ("admin.users", _l("Users")),
        ("admin.organizations", _l("Organisations")),
        ("admin.towns", _l("Towns")),
        ("admin.zones", _l("Zones")),
        ("overview.index", _l("Overview")),
    ],
}


def nav_links() -> list[tuple[str, Any]]:
    """Return the navigation links of the logged-in user."""
    if not current_user.is_authenticated:
        return []
    views = current_app.view_functions
    return [(e, label) for e, label in NAV_LINKS.get(current_user.role, []) if e in views]


def current_locale() -> str:
    """Return the interface language of this request: ``zh_CN`` or ``en``."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


def register(app: Flask) -> None:
    """Make the helpers available in every template."""
    app.jinja_env.globals.update(nav_links=nav_links, current_locale=current_locale)
