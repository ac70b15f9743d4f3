"""The navigation bar of each role, and template helpers every page uses.

Also the cheap paths to this request's language, which every page takes hundreds of times:
flask-babel resolves the translations anew for every string (about 7 µs, through a dozen
context-local lookups) and parses the locale name on every request; here the translations
are looked up once per request, label tables are translated once per language, and a
locale name is parsed once per process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from babel import Locale
from flask import Flask, current_app, g
from flask_babel import get_babel, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from forms import labels

#: The pages in the navigation bar of each role; endpoints not (yet) registered are skipped.
NAV_LINKS: dict[str, list[tuple[str, Any]]] = {
    "mediator": [
        ("mediator.dashboard", _l("Dashboard")),
        ("mediator.case_list", _l("Cases")),
        ("mediator.new_case", _l("Register a dispute")),
        ("mediator.legal_help_workload", _l("Legal help")),
        ("overview.index", _l("Overview")),
    ],
    "lawyer": [
        ("lawyer.pool", _l("Pool")),
        ("lawyer.escalated", _l("Escalated")),
        ("lawyer.my_assignments", _l("My assignments")),
    ],
    "supervisor": [
        ("supervisor.dashboard", _l("Supervision")),
        ("supervisor.reports", _l("Reports")),
        ("supervisor.reviews", _l("Audit reviews")),
        ("supervisor.corrections", _l("Corrections")),
        ("supervisor.anomalies", _l("Anomalies")),
        ("supervisor.chain", _l("Event chain")),
        ("mediator.legal_help_workload", _l("Legal help")),
        ("overview.index", _l("Overview")),
    ],
    "admin": [
        ("admin.users", _l("Users")),
        ("admin.organizations", _l("Organisations")),
        ("admin.towns", _l("Towns")),
        ("admin.zones", _l("Zones")),
        ("admin.zone_map", _l("Zone map")),
        ("admin.lawyers", _l("Lawyers")),
        ("admin.law_firms", _l("Law firms")),
        ("mediator.legal_help_workload", _l("Legal help")),
        ("overview.index", _l("Overview")),
    ],
}

#: The label tables of :mod:`forms.labels` the pages show, by their name there.
LABEL_TABLES = (
    "STATES",
    "ACTIONS",
    "CATEGORIES",
    "ROLES",
    "LEVELS",
    "PARTY_ROLES",
    "SOURCES",
    "SIGNERS",
    "PAYMENT_METHODS",
    "CONVERSION_KINDS",
    "CLOSED_AS",
)


def nav_links() -> list[tuple[str, Any]]:
    """Return the navigation links of the logged-in user, their labels translated.

    Every page shows them: the labels come from :func:`translated` (once per language),
    not from a lazy translation each.
    """
    if not current_user.is_authenticated:
        return []
    role = current_user.role
    names = translated(_nav_labels(role))
    views = current_app.view_functions
    return [(e, names[e]) for e, _label in NAV_LINKS.get(role, []) if e in views]


@lru_cache(maxsize=16)
def _nav_labels(role: str) -> dict[str, Any]:
    # One table per role (endpoint → lazy label), for translated().
    return dict(NAV_LINKS.get(role, []))


def current_locale() -> str:
    """Return the interface language of this request: ``zh_CN`` or ``en``."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


# --------------------------------------------------------------------------- translations


def request_translations() -> Any:
    """Return the translations of this request's language, looked up once per request.

    The same object flask-babel's ``get_translations()`` returns; it is looked up again when
    the language changes within the request (``force_locale``).
    """
    try:
        request_g = g._get_current_object()
    except RuntimeError:  # no application context
        return get_translations()
    cached = request_g.__dict__.get("_mediation_translations")
    babel_context = request_g.__dict__.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    request_g._mediation_translations = (get_locale(), translations)
    return translations


def _gettext(message: str) -> str:
    text: str = request_translations().ugettext(message)
    return text


@pass_eval_context
def _template_gettext(eval_context: EvalContext, message: str, **variables: Any) -> str:
    """Jinja's "newstyle" ``_()``/``gettext()``, without its two extra layers of calls.

    Given the evaluation context, not the template context: Jinja derives a new template
    context for every call of a context function made inside a loop or a block that sets
    variables.
    """
    translations = request_translations()
    if not variables and eval_context.autoescape:
        # A page shows up to a hundred fixed phrases: each is looked up once per language.
        known = _fixed_phrases.get(id(translations))
        if known is None or known[0] is not translations:
            known = _fixed_phrases[id(translations)] = (translations, {})
        phrase = known[1].get(message)
        if phrase is None:
            phrase = known[1][message] = Markup(translations.ugettext(message)) % {}
        return phrase
    text: str = translations.ugettext(message)
    if eval_context.autoescape:
        text = Markup(text)
    # Always a format string, as in Jinja (so "%%" means "%" with or without variables).
    return text % variables


#: Per translations object (one per language): message id → the phrase, ready to print.
_fixed_phrases: dict[int, tuple[Any, dict[str, Markup]]] = {}


def _ngettext(singular: str, plural: str, number: int) -> str:
    text: str = request_translations().ungettext(singular, plural, number)
    return text


def _pgettext(context: str, message: str) -> str:
    text: str = request_translations().upgettext(context, message)
    return text


def _npgettext(context: str, singular: str, plural: str, number: int) -> str:
    text: str = request_translations().unpgettext(context, singular, plural, number)
    return text


_translated_tables: dict[tuple[str, int], tuple[Mapping[str, Any], dict[str, str]]] = {}


def translated(table: Mapping[str, Any]) -> dict[str, str]:
    """Return a label table (identifier → translatable name) in this request's language.

    Plain strings, built once per language and table: a lazy name costs a translation
    lookup every time a page shows it. The result is shared: do not change it.
    """
    key = (str(get_locale()), id(table))
    entry = _translated_tables.get(key)
    if entry is None or entry[0] is not table:
        entry = _translated_tables[key] = (table, {k: str(v) for k, v in table.items()})
    return entry[1]


def translated_labels() -> SimpleNamespace:
    """Return every label table of :mod:`forms.labels`, translated (as :func:`translated`)."""
    return SimpleNamespace(**{name: translated(getattr(labels, name)) for name in LABEL_TABLES})


def _parsed_once(select: Callable[[], Any]) -> Callable[[], Any]:
    """Wrap a locale selector so that each locale name is parsed once per process.

    flask-babel parses the selector's answer on every request, and Babel's parsing of a
    name such as ``zh_CN`` compares it with every locale it knows (about 0.15 ms).
    """

    @lru_cache(maxsize=16)
    def parse(identifier: str) -> Locale:
        return Locale.parse(identifier)

    def selector() -> Any:
        chosen = select()
        return parse(chosen) if isinstance(chosen, str) else chosen

    return selector


def register(app: Flask) -> None:
    """Make the helpers available in every template, with the cheap paths to translations."""
    app.jinja_env.globals.update(nav_links=nav_links, current_locale=current_locale)
    babel = get_babel(app)
    if babel.locale_selector is not None:
        babel.locale_selector = _parsed_once(babel.locale_selector)
    # The callables flask-babel installed, with the translations looked up once per request.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        newstyle=True,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
    # ``{{ _("…") }}`` is the most frequent call in the templates (up to a hundred a page).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
