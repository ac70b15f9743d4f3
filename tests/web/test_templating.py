"""The cheaper escaping, calls and fixed phrases of mediation.web.templating: same output.

Each template here is rendered by a plain Jinja environment and by one with the code
generator, the context and the per-language compilation of ``templating`` installed; the
two must give the same text.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from jinja2 import DictLoader, Environment, pass_context, pass_environment, pass_eval_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from mediation.web import templating
from mediation.web.templating import escape_output


class _Html:
    def __html__(self) -> str:
        return "<b>as html</b>"


class _Text:
    label = "<label>"

    def __str__(self) -> str:
        return "<i>'text' & \"more\"</i>"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "plain",
        "<script>alert('x') & \"y\"</script>",
        "调解 & 仲裁 <b>",
        Markup("<b>safe</b>"),
        0,
        12345,
        -1.5,
        None,
        True,
        _Html(),
        _Text(),
        ["<a>", 1],
    ],
)
def test_escape_output_writes_what_markupsafe_escape_writes(value: Any) -> None:
    assert escape_output(value) == str(escape(value))


def _stop() -> None:
    raise StopIteration


@pass_context
def _from_context(context: Context, name: str) -> str:
    return f"{name}={context.get(name)}"


@pass_eval_context
def _autoescaping(eval_context: Any, text: str) -> str:
    return f"{text}:{eval_context.autoescape}"


@pass_environment
def _from_environment(environment: Environment, text: str) -> str:
    return f"{text}:{type(environment).__name__}"


_phrase_markup = pass_eval_context(
    lambda eval_context, message, **variables: (
        (Markup("«" + message + "»") if eval_context.autoescape else "«" + message + "»")
        % variables
    )
)


class _Counted:
    """Each call returns a new object whose ``value`` is how many calls there have been."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return SimpleNamespace(value=self.calls)


TEMPLATES = {
    "values.html": '<p title="{{ text }}">{{ text }} {{ safe }} {{ number }} {{ none }}</p>'
    "{{ obj }}{{ html }}{{ text|safe }}{{ text|e }}{{ 'lit<er>al' }}",
    "loops.html": "{% for a, b in pairs %}<li>{{ loop.index }} {{ a }}={{ b }}"
    "{% if loop.last %} last{% endif %}</li>{% else %}none{% endfor %}",
    "calls.html": "{{ text.upper() }} {{ words.get('a', 'x') }} {{ plain(text) }} "
    "{{ from_context('text') }} {{ autoescaping(text) }} {{ from_environment(text) }} "
    "{{ stop() is undefined }} {% for w in words %}{{ from_context('w') }}{% endfor %}",
    "macros.html": "{% macro row(x, y='d') %}<td>{{ x }}|{{ y }}</td>{% endmacro %}"
    "{% macro wrap(n) %}[{{ n }} {{ caller() }}]{% endmacro %}"
    "{{ row(text) }}{{ row(1, y=safe) }}{% call wrap(2) %}inner {{ text }}{% endcall %}"
    "{% set block %}<b>{{ text }}</b>{% endset %}{{ block }}"
    "{% filter upper %}up {{ text }}{% endfilter %}",
    # Built-in methods and macros called at once, in loops and blocks too; the rest as Jinja.
    "loop_calls.html": "{% macro row(x) %}<td>{{ x }}</td>{% endmacro %}"
    "{% for a, b in pairs %}{{ a.upper() }}{{ row(b) }}{{ plain(a) }}{{ from_context('a') }}"
    "{{ words.get(a, row(loop.index)) }}{% endfor %}{{ dict(class=1).get('class') }}"
    "{{ text.replace('x', row('y')) }}",
    "include.html": "<div>{{ text }}{% include 'values.html' %}{% for i in [1, 2] %}"
    "{% include 'loops.html' %}{% endfor %}</div>",
    "child.html": "{% extends 'base.html' %}{% block body %}child {{ text }}{{ super() }}"
    "{% endblock %}",
    "base.html": "<html>{% block body %}base {{ safe }}{% endblock %}</html>",
    "phrases.html": "<h1>{{ _('Timeline') }}</h1><p title=\"{{ _('Say \"hi\" & <b>') }}\">"
    "{{ _('%(n)s cases', n=number) }} {{ _('A') if number else _('B') }} {{ gettext('C') }}"
    "{{ _('x') ~ text }}</p>",
    # Variables: escaped like any value; "%%"; reordered or repeated or missing ones, and
    # other conversions, left to _() (the last one fails the same way with and without).
    "variables.html": "{{ _('%(a)s and %(b)s', a=text, b=safe) }}|{{ _('100%% %(n)s', n=number) }}"
    "|{{ _('%(b)s then %(a)s', a=1, b=2) }}|{{ _('%(a)s%(a)s', a=text) }}"
    "|{{ _('%(n)d items', n=number) }}|{{ _('%(a)s', a=none, b=text) }}",
    "shadowed.html": "{% set _ = plain %}{{ _('Timeline') }}",
    "macro_arg.html": "{% macro m(_) %}{{ _('Timeline') }}{% endmacro %}{{ m(plain) }}",
    "escaping.html": "{% autoescape false %}{{ _('Timeline') }}{{ text }}{% endautoescape %}"
    "{{ _('Timeline') }}",
    "page.txt": "{{ text }} {{ _('Timeline') }}",
    # An attribute, else an item of that name, else undefined; the object evaluated once.
    "attributes.html": "{{ obj.label }} {{ words.a }} {{ words.items is defined }} "
    "{{ words.nope is defined }} {{ obj.nope is undefined }} {{ pairs.0 }} "
    "{{ (words.a ~ obj.label).upper() }}",
}

CONTEXT: dict[str, Any] = {
    "text": "<x & 'y'>",
    "safe": Markup("<em>safe</em>"),
    "number": 7,
    "none": None,
    "obj": _Text(),
    "html": _Html(),
    "pairs": [("a", "<1>"), ("b", Markup("<2>"))],
    "words": {"a": "<A>"},
    "plain": lambda value: f"plain({value})",
    "from_context": _from_context,
    "autoescaping": _autoescaping,
    "from_environment": _from_environment,
    "stop": _stop,
}


def _environment(installed: bool, language: str | None = None) -> Environment:
    environment = Environment(
        loader=DictLoader(TEMPLATES), autoescape=lambda name: bool(name and name.endswith(".html"))
    )
    environment.globals.update(_=_phrase_markup, gettext=_phrase_markup)
    if installed:
        app = Flask(__name__)
        app.jinja_env = environment  # type: ignore[misc]
        spoken: templating.Language | None = None
        if language is not None:
            spoken = (language, lambda message: "«" + message + "»")
        templating.install(app, language=lambda: spoken)
    return environment


@pytest.mark.parametrize("name", sorted(TEMPLATES))
@pytest.mark.parametrize("language", [None, "zz"])
def test_templates_render_the_same_text_with_templating_installed(
    name: str, language: str | None
) -> None:
    expected = _environment(installed=False).get_template(name).render(CONTEXT)
    assert (
        _environment(installed=True, language=language).get_template(name).render(CONTEXT)
        == expected
    )


@pytest.mark.parametrize("installed", [False, True])
def test_a_phrase_missing_its_variable_fails_as_it_would_have(installed: bool) -> None:
    environment = _environment(installed=installed, language="zz" if installed else None)
    with pytest.raises(KeyError):
        environment.from_string("{{ _('%(gone)s', a=1) }}").render()


def test_an_attribute_of_a_call_calls_once() -> None:
    environment = _environment(installed=True)
    counted = _Counted()
    template = environment.from_string("{{ counted().value }}|{{ counted().missing is undefined }}")
    assert template.render(counted=counted) == "1|True"
    assert counted.calls == 2


def test_fixed_phrases_are_written_into_the_template_once_per_language() -> None:
    environment = _environment(installed=True, language="zz")
    source = environment.loader.get_source(environment, "phrases.html")[0]  # type: ignore[union-attr]
    token = templating._compiling.set(lambda message: "«" + message + "»")
    try:
        code = environment.compile(source, "phrases.html", raw=True)
    finally:
        templating._compiling.reset(token)
    assert "«Timeline»</h1>" in code  # written in as text
    # A phrase with variables: its text written in, its values printed in between.
    assert "'%(n)s cases'" not in code
    assert "' cases» '" in code
    # Compiled once per language: the same template again in that language, another in
    # another language, with its phrases read in it.
    assert environment.get_template("phrases.html") is environment.get_template("phrases.html")


def test_each_language_gets_its_own_compiled_template() -> None:
    environment = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    environment.globals.update(_=_phrase_markup, gettext=_phrase_markup)
    app = Flask(__name__)
    app.jinja_env = environment  # type: ignore[misc]
    spoken: list[templating.Language] = [("zz", lambda m: "«" + m + "»")]
    templating.install(app, language=lambda: spoken[0])
    first = environment.get_template("phrases.html")
    assert environment.get_template("phrases.html") is first
    spoken[0] = ("yy", lambda m: "<" + m + ">")
    second = environment.get_template("phrases.html")
    assert second is not first
    assert first.render(CONTEXT).startswith("<h1>«Timeline»</h1>")
    assert second.render(CONTEXT).startswith("<h1><Timeline></h1>")  # markup, as _() gives
    spoken[0] = ("zz", lambda m: "«" + m + "»")
    assert environment.get_template("phrases.html") is first


def test_a_shadowed_underscore_is_not_taken_for_the_translation() -> None:
    environment = _environment(installed=True, language="zz")
    assert environment.get_template("shadowed.html").render(CONTEXT) == "plain(Timeline)"
    assert environment.get_template("macro_arg.html").render(CONTEXT) == "plain(Timeline)"


# --------------------------------------------------------------------------- fresh forms


def test_put_amounts_writes_each_amount_where_its_placeholder_was() -> None:
    from mediation.web.mediator.form_html import PLACEHOLDER_FEN, put_amounts

    html = (
        '<input name="a" value="1234567890123456.00"><input name="b" value="1234567890123456.01">'
    )
    written = put_amounts(html, {PLACEHOLDER_FEN: 892250, PLACEHOLDER_FEN + 1: None})
    assert written == '<input name="a" value="8922.50"><input name="b" value="">'
    assert put_amounts("<p>no input</p>", {PLACEHOLDER_FEN: 1}) is None


@pytest.mark.parametrize("state", ["finding_crux", "seizing_opening", "ensuring_performance"])
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_fresh_fields_are_what_the_form_itself_writes(
    app: Flask, database: Any, state: str, language: str
) -> None:
    from mediation import clock
    from mediation.cases.case_file import load_case_file
    from mediation.web.db import read_session
    from mediation.web.mediator import case_page
    from tests.factories import make_case

    case_id, _version = make_case(database, state=state, today=clock.today())
    headers = {"Accept-Language": "en" if language == "en" else "zh-CN"}
    for _ in range(2):  # built, then kept
        with app.test_request_context("/", headers=headers):
            case_file = load_case_file(read_session(), case_id, today=clock.today())
            template = app.jinja_env.get_template("mediator/_action_fields.html")
            entries = case_page.action_entries(case_file)
            shown = [e for e in entries.values() if e.fields_html is not None]
            for entry in shown:
                form = case_page._fresh_form(case_file, entry.action)
                assert entry.fields_html == template.render(action=entry.action, form=form)
    assert shown, "some form of the state should be kept"
