"""The navigation bar of each role, and template helpers every page uses.

The layout's addresses (the bar's links and forms, the stylesheets and scripts) are worked
out once per process and address prefix (:func:`page_layout`), not with a dozen ``url_for``
calls a page.

Also the cheap paths to this request's language, which every page takes hundreds of times:
flask-babel resolves the locale and the translations anew for every string (about 7 µs,
through a dozen context-local lookups) and parses the locale name on every request; here the
locale and its translations are looked up once per request, label tables are translated
once per language, and a locale name is parsed once per process. Flask-WTF reads WTForms' own
message catalogue from disk in every request that builds a form with an unlabelled field
(about 0.2 ms); here it is read once per language and process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from babel import Locale, support
from flask import Flask, Request, current_app, g, has_request_context, request, url_for
from flask_babel import get_babel, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup
from wtforms.i18n import messages_path

from forms import labels
from mediation.web import templating

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


@dataclass(frozen=True)
class Layout:
    """What the layout of every page links to, worked out once per process (and address
    prefix): Bootstrap's tags, the stylesheet, the bar's links and forms.

    ``url_for`` costs about 5 µs a call, and Bootstrap-Flask's tags four calls more; the layout
    has a dozen. These addresses depend on nothing but the application's URL map and
    configuration, and on the prefix the application is served under (``SCRIPT_NAME``, which
    a proxy may set per request): one ``Layout`` per prefix.
    """

    bootstrap_css: Markup
    bootstrap_js: Markup
    stylesheet: str
    home: str
    set_language: str
    change_password: str
    logout: str
    #: Each role's navigation bar: (endpoint, address), endpoints not registered left out.
    nav: Mapping[str, tuple[tuple[str, str], ...]]


#: Prefixes whose layout is kept (a proxy could send any number of them).
_MAX_LAYOUTS = 16


def _build_layout(app: Flask) -> Layout:
    bootstrap = app.extensions["bootstrap"]
    views = app.view_functions
    return Layout(
        bootstrap_css=bootstrap.load_css(),
        bootstrap_js=bootstrap.load_js(),
        stylesheet=url_for("static", filename="app.css"),
        home=url_for("auth.home"),
        set_language=url_for("auth.set_language"),
        change_password=url_for("auth.change_password"),
        logout=url_for("auth.logout"),
        nav={
            role: tuple((e, url_for(e)) for e, _label in links if e in views)
            for role, links in NAV_LINKS.items()
        },
    )


def page_layout() -> Layout:
    """Return the layout's addresses for this request (built once per address prefix)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    layouts: dict[str, Layout] = app.extensions.setdefault("mediation_layouts", {})
    prefix = request.script_root
    layout = layouts.get(prefix)
    if layout is None:
        if len(layouts) >= _MAX_LAYOUTS:
            layouts.clear()
        layout = layouts[prefix] = _build_layout(app)
    return layout


def nav_links() -> list[tuple[str, str, str]]:
    """Return the navigation links of the logged-in user: endpoint, address, label.

    Every page shows them: the labels come from :func:`translated` (once per language),
    not from a lazy translation each, and the addresses from :func:`page_layout`.
    """
    if not current_user.is_authenticated:
        return []
    role = current_user.role
    names = translated(_nav_labels(role))
    return [(e, url, names[e]) for e, url in page_layout().nav.get(role, ())]


@lru_cache(maxsize=16)
def _nav_labels(role: str) -> dict[str, Any]:
    # One table per role (endpoint → lazy label), for translated().
    return dict(NAV_LINKS.get(role, []))


def current_locale() -> str:
    """Return the interface language of this request: ``zh_CN`` or ``en``."""
    locale = _request_language()[0]
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


# --------------------------------------------------------------------------- translations


def request_translations() -> Any:
    """Return the translations of this request's language, looked up once per request.

    The same object flask-babel's ``get_translations()`` returns; it is looked up again when
    the language changes within the request (``force_locale``).
    """
    # The fast path of _request_language(), written out: this runs for every phrase.
    try:
        request_g = g._get_current_object()
    except RuntimeError:  # no application context
        return get_translations()
    cached = request_g.__dict__.get("_mediation_language")
    babel_context = request_g.__dict__.get("_flask_babel")
    if cached is not None and cached[0] is getattr(babel_context, "babel_locale", None):
        return cached[1]
    return _request_language()[1]


def _request_language() -> tuple[Any, Any, str]:
    """Return this request's locale, its translations and the locale's name, looked up once
    per request (again when ``force_locale`` changes the locale).

    flask-babel finds the locale through a dozen context-local lookups (about 2 µs) and its
    name costs as much again; pages ask for them dozens of times.
    """
    try:
        request_g = g._get_current_object()
    except RuntimeError:  # no application context
        locale = get_locale()
        return locale, get_translations(), str(locale)
    cached: tuple[Any, Any, str] | None = request_g.__dict__.get("_mediation_language")
    babel_context = request_g.__dict__.get("_flask_babel")
    locale = getattr(babel_context, "babel_locale", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached
    translations = get_translations()
    locale = get_locale()
    cached = request_g._mediation_language = (locale, translations, str(locale))
    return cached


def template_language() -> templating.Language | None:
    """Return this request's language for compiling templates (None outside a request):
    its name, and its translation of a message."""
    if not has_request_context():
        return None
    translations, name = _request_language()[1:]
    # Asked at every template look-up (a page's includes): one answer per language.
    known = _template_languages.get(name)
    if known is None or known[0] is not translations:
        known = _template_languages[name] = (
            translations,
            (name, translations.ugettext),
        )
    return known[1]


#: Per language name: its translations, and what template_language() answers for it.
_template_languages: dict[str, tuple[Any, templating.Language]] = {}


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
    key = (_request_language()[2], id(table))
    entry = _translated_tables.get(key)
    if entry is None or entry[0] is not table:
        entry = _translated_tables[key] = (table, {k: str(v) for k, v in table.items()})
    return entry[1]


def translated_labels() -> SimpleNamespace:
    """Return every label table of :mod:`forms.labels`, translated (as :func:`translated`).

    One namespace per language, shared: do not change it.
    """
    name = _request_language()[2]
    tables = _label_namespaces.get(name)
    if tables is None:
        tables = _label_namespaces[name] = SimpleNamespace(
            **{table: translated(getattr(labels, table)) for table in LABEL_TABLES}
        )
    return tables


_label_namespaces: dict[str, SimpleNamespace] = {}


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


@lru_cache(maxsize=16)
def _wtforms_catalogue(locale: str) -> Any:
    # What flask_wtf.i18n loads for every request: WTForms' messages in this language.
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class CatalogueRequest(Request):
    """The application's request: WTForms' messages come from a catalogue read once per
    language and process.

    Flask-WTF looks for ``request.wtforms_translations`` before it reads the catalogue from
    disk and keeps what it read there for the rest of the request; here the attribute answers
    with the catalogue of the request's language (the same object for every request).
    """

    @property
    def wtforms_translations(self) -> Any:
        """Return WTForms' catalogue of this request's language."""
        catalogue = self.__dict__.get("_wtforms_translations")
        if catalogue is None:
            catalogue = self.__dict__["_wtforms_translations"] = _wtforms_catalogue(
                str(get_locale())
            )
        return catalogue

    @wtforms_translations.setter
    def wtforms_translations(self, catalogue: Any) -> None:
        self.__dict__["_wtforms_translations"] = catalogue


def csrf_token() -> str:
    """Return this request's CSRF token (Flask-WTF's ``generate_csrf``), signed once.

    A page writes it into each of its forms; Flask-WTF keeps the token of the request too,
    but reads its configuration again at every call.
    """
    request_g = g._get_current_object()
    token: str | None = request_g.__dict__.get("_mediation_csrf_token")
    if token is None:
        token = request_g._mediation_csrf_token = generate_csrf()
    return token


def register(app: Flask) -> None:
    """Make the helpers available in every template, with the cheap paths to translations."""
    app.request_class = CatalogueRequest
    # Printing a value, calling a function and fixed phrases in a template, for less (the
    # same output): templates are compiled once per language.
    templating.install(app, language=template_language)
    app.jinja_env.globals.update(
        nav_links=nav_links,
        current_locale=current_locale,
        page_layout=page_layout,
        csrf_token=csrf_token,
    )
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
