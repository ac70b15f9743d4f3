"""Jinja's costs on every value a page prints, every call and every fixed phrase in it, made
smaller without changing a byte of the page.

- **Autoescaping.** Jinja writes every ``{{ value }}`` of an autoescaped template as
  ``escape(value)``: MarkupSafe escapes the text in C, then wraps it in a ``Markup`` object
  (a Python-level constructor), about four times the cost of the escaping itself — only for
  Jinja to join the pieces into one ``str`` at once. :class:`EscapingCodeGenerator` writes
  ``{{ value }}`` as :func:`escape_output` instead: the same escaping (MarkupSafe's own
  function, the same ``__html__`` rule), returning the text. Everywhere Jinja keeps output as
  a value (a macro's result, ``{% set %}`` blocks, filter blocks) it wraps it in ``Markup``
  itself, so nothing else changes. The text and values between two tags are handed over as
  one piece, and an included template as one piece (:class:`EscapingCodeGenerator`).
- **Calls.** Jinja runs every call in a template — ``_('…')``, ``d.isoformat()``,
  ``labels.get(key)``, a macro, a helper — through ``Context.call``, which first asks the
  callable (and its ``__call__``) whether it wants the context passed: three failed attribute
  lookups, about as much as the call itself. :class:`CallingContext` calls built-in methods and
  macros, which cannot want it, at once, and asks a function once; only a function that takes
  the whole context (or the environment) goes Jinja's own way.
- **Fixed phrases.** ``{{ _('Timeline') }}`` — a hundred of them on the case page — is a
  call at every render that looks the phrase up in the request's language (about 3 µs each).
  A template is compiled once per language instead (:func:`localize`), with each fixed phrase
  written into it as text, translated as ``_()`` would translate it; phrases with variables
  stay calls.

A test renders templates with both and compares the output (``tests/web/test_templating.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from contextvars import ContextVar
from keyword import iskeyword
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any, cast

from flask import Flask
from jinja2 import nodes, pass_eval_context
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Environment, Template
from jinja2.nodes import EvalContext, Expr
from jinja2.runtime import Context, Macro
from jinja2.utils import internalcode
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

try:  # MarkupSafe's escaping in C (what markupsafe.escape runs), else its Python version.
    from markupsafe._speedups import _escape_inner as _escape_text
except ImportError:  # pragma: no cover - MarkupSafe without its C extension
    from markupsafe._native import _escape_inner as _escape_text

#: The name the compiled templates call for ``{{ value }}`` (imported at their top).
_ESCAPE_NAME = "_mediation_escape_output"
#: The name of the marker of an attribute not found (imported at their top).
_MISSING_NAME = "_mediation_no_attribute"
#: Returned by ``getattr(obj, name, NO_ATTRIBUTE)`` when ``obj`` has no attribute ``name``.
NO_ATTRIBUTE = object()
#: What a template calls without the context: a built-in method (``x.name(…)``), a macro.
METHOD_CALLS = frozenset({BuiltinFunctionType, Macro})
MACRO_CALLS = frozenset({Macro})
_METHOD_CALL_NAME = "_mediation_method_calls"
_MACRO_CALL_NAME = "_mediation_macro_calls"


def escape_output(value: Any) -> str:
    """Return ``str(markupsafe.escape(value))``: the text of one printed value, escaped."""
    kind = type(value)
    if kind is str:
        return _escape_text(value)
    if kind is int:  # digits and a sign: nothing to escape
        return str(value)
    if hasattr(value, "__html__"):
        html = value.__html__()
        return html if isinstance(html, str) else str(html)
    return _escape_text(str(value))


#: A language: its name, and a message's translation in it (``gettext``'s, unformatted).
Language = tuple[str, Callable[[str], str]]

#: How fixed phrases read in the language the template being compiled is for (if any).
_compiling: ContextVar[Callable[[str], str] | None] = ContextVar(
    "mediation_template_language", default=None
)
#: The names the templates translate with (navigation.register installs both).
_GETTEXT = frozenset({"_", "gettext"})


def _fixed_phrase(node: nodes.Node) -> str | None:
    """Return the message of ``_('…')`` with a literal message and nothing else, else None."""
    if not (
        isinstance(node, nodes.Call)
        and isinstance(node.node, nodes.Name)
        and node.node.name in _GETTEXT
        and node.node.ctx == "load"
        and len(node.args) == 1
        and not node.kwargs
        and node.dyn_args is None
        and node.dyn_kwargs is None
    ):
        return None
    message = node.args[0]
    if isinstance(message, nodes.Const) and isinstance(message.value, str):
        return message.value
    return None


#: What ``_()`` fills in a translation: ``%(name)s``, and ``%%`` for "%".
_PLACEHOLDER = re.compile(r"%(?:\((\w+)\)s|%)")


def _can_inline(template: nodes.Template) -> bool:
    # Not where ``_`` may be something else (a variable, a macro's argument, an import) or
    # where autoescaping changes inside the template.
    for name in template.find_all(nodes.Name):
        if name.name in _GETTEXT and name.ctx != "load":
            return False
    for imported in template.find_all(nodes.FromImport):
        for entry in imported.names:
            if (entry[1] if isinstance(entry, tuple) else entry) in _GETTEXT:
                return False
    for imported_module in template.find_all(nodes.Import):
        if imported_module.target in _GETTEXT:
            return False
    return template.find(nodes.EvalContextModifier) is None


class _PhraseInliner(NodeTransformer):
    """Write each fixed phrase of an autoescaped template as the text it reads in a language."""

    def __init__(self, translate: Callable[[str], str], environment: Environment) -> None:
        self.translate = translate
        self.environment = environment

    def _phrase(self, node: nodes.Node) -> str | None:
        message = _fixed_phrase(node)
        if message is None:
            return None
        try:
            # What _() returns: the translation as markup, formatted (so "%%" reads "%").
            return str(Markup(self.translate(message)) % {})
        except (ValueError, TypeError, KeyError):
            return None  # left to fail at render time, as it would have

    def _text(self, text: str, lineno: int) -> nodes.TemplateData:
        data = nodes.TemplateData(text, lineno=lineno)
        data.set_environment(self.environment)
        return data

    def _phrase_with_variables(self, node: nodes.Node) -> list[nodes.Expr] | None:
        """Return ``_('… %(name)s …', name=value)`` as the pieces it prints — the translated
        text around the values, each value printed (escaped) as ``_()`` would have put it in —
        or None where that is not certain to print the same."""
        if not (
            isinstance(node, nodes.Call)
            and isinstance(node.node, nodes.Name)
            and node.node.name in _GETTEXT
            and node.node.ctx == "load"
            and len(node.args) == 1
            and node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
            and isinstance(node.args[0], nodes.Const)
            and isinstance(node.args[0].value, str)
        ):
            return None
        try:
            translated = self.translate(node.args[0].value)
        except (ValueError, TypeError, KeyError):
            return None
        values = {keyword.key: keyword.value for keyword in node.kwargs}
        pieces: list[nodes.Expr] = []
        used: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(translated):
            text = translated[position : match.start()]
            if "%" in text:  # a conversion other than %(name)s: left to _()
                return None
            name = match.group(1)
            if name is None:  # "%%"
                text += "%"
            elif name not in values or name in used:
                return None
            if text:
                pieces.append(self._text(text, node.lineno))
            if name is not None:
                used.append(name)
                pieces.append(cast(nodes.Expr, self.visit(values[name])))
            position = match.end()
        tail = translated[position:]
        if "%" in tail:
            return None
        if tail:
            pieces.append(self._text(tail, node.lineno))
        # Every value printed once, in the order the call gives them (as it evaluates them).
        if used != list(values):
            return None
        return pieces

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        children: list[nodes.Expr] = []
        for child in node.nodes:
            phrase = self._phrase(child)
            if phrase is not None:
                # Printed as it is: _() returns the phrase as markup.
                children.append(self._text(phrase, child.lineno))
                continue
            pieces = self._phrase_with_variables(child)
            if pieces is not None:
                children.extend(pieces)
                continue
            children.append(cast(nodes.Expr, self.visit(child)))
        node.nodes = children
        return node

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        phrase = self._phrase(node)
        if phrase is None:
            return self.generic_visit(node)
        markup = nodes.MarkSafe(nodes.Const(phrase, lineno=node.lineno), lineno=node.lineno)
        return markup.set_environment(self.environment)


class EscapingCodeGenerator(CodeGenerator):
    """Jinja's code generator, printing values through :func:`escape_output`, in fewer pieces.

    Jinja hands the page over piece by piece: each run of text and each printed value is
    yielded on its own, and every piece of an included template passes through a loop of
    the including one (a page of 30 KB is a thousand pieces, each handed up three or four
    levels). Here a run of text and values between two tags is yielded as one piece, and an
    included template as one piece; what the page is made of does not change.
    """

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        """Write in the fixed phrases of the language compiled for; import
        :func:`escape_output` at the top of the compiled template."""
        translate = _compiling.get()
        if (
            translate is not None
            and EvalContext(self.environment, self.name).autoescape
            and _can_inline(node)
        ):
            _PhraseInliner(translate, self.environment).visit(node)
        self.writeline(
            f"from {__name__} import escape_output as {_ESCAPE_NAME},"
            f" NO_ATTRIBUTE as {_MISSING_NAME}, METHOD_CALLS as {_METHOD_CALL_NAME},"
            f" MACRO_CALLS as {_MACRO_CALL_NAME}"
        )
        super().visit_Template(node, frame)

    def _output_child_pre(self, node: Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile:
            # As Jinja's own, with escape_output in place of markupsafe.escape.
            self.write(f"{_ESCAPE_NAME}(")
            if finalize.src is not None:
                self.write(finalize.src)
            return
        super()._output_child_pre(node, frame, finalize)

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        """Yield the text and values between two tags as one piece (Jinja: one each)."""
        if frame.buffer is not None or frame.require_output_check or len(node.nodes) < 2:
            super().visit_Output(node, frame)
            return
        finalize = self._make_finalize()
        # As Jinja's own: constants evaluated at compile time, in groups of adjacent ones.
        body: list[list[Any] | nodes.Expr] = []
        for child in node.nodes:
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except (nodes.Impossible, Exception):
                body.append(child)
                continue
            last = body[-1] if body else None
            if isinstance(last, list):
                last.append(const)
            else:
                body.append([const])
        if len(body) < 2:
            super().visit_Output(node, frame)
            return
        self.writeline("yield environment.concat((")
        self.indent()
        for item in body:
            if isinstance(item, list):
                self.writeline(self._output_const_repr(item) + ",")
            else:
                self.newline(item)
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
                self.write(",")
        self.outdent()
        self.writeline("))")

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """Read ``x.name`` with the built-in ``getattr``, Jinja's own way only when the object
        has no such attribute (an item of that name, else undefined) — Jinja calls its own
        ``environment.getattr`` for every one, a Python-level call."""
        if self.environment.is_async or type(self.environment).getattr is not Environment.getattr:
            super().visit_Getattr(node, frame)
            return
        # The object is evaluated once (held in _mediation_o), the attribute read once (held
        # in _mediation_v); nothing is evaluated between each assignment and its use.
        self.write("(_mediation_v if (_mediation_v := getattr((_mediation_o := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, {_MISSING_NAME})) is not {_MISSING_NAME} else ")
        self.write(f"environment.getattr(_mediation_o, {node.attr!r}))")

    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        """Call a built-in method (``d.isoformat()``, ``labels.get(k)``) or a macro at once,
        anything else through the context (:meth:`CallingContext.call`) as Jinja does.

        Jinja sends every call through ``context.call``, a Python-level call of its own; a
        built-in method or a macro cannot want the context, nor raise ``StopIteration``
        into it. The callee is evaluated once, before the arguments, as in Jinja's code.
        """
        if (
            forward_caller
            or self.environment.is_async
            or self.environment.sandboxed
            or node.dyn_args is not None
            or node.dyn_kwargs is not None
            or any(
                not keyword.key.isidentifier() or iskeyword(keyword.key) for keyword in node.kwargs
            )
        ):
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        self._calls = getattr(self, "_calls", 0) + 1
        callee = f"_mediation_f{self._calls}"
        direct = _METHOD_CALL_NAME if isinstance(node.node, nodes.Getattr) else _MACRO_CALL_NAME
        self.write(f"({callee}(")
        self._arguments(node, frame)
        self.write(f") if type({callee} := ")
        self.visit(node.node, frame)
        self.write(f") in {direct} else ")
        # Jinja's own call, on the callee already evaluated.
        self.write(f"context.call({callee}")
        extra = {"_loop_vars": "_loop_vars"} if frame.loop_frame else {}
        if frame.block_frame:
            extra["_block_vars"] = "_block_vars"
        self.signature(node, frame, extra or None)
        self.write("))")

    def _arguments(self, node: nodes.Call, frame: Frame) -> None:
        first = True
        for argument in [*node.args, *node.kwargs]:
            if not first:
                self.write(", ")
            first = False
            self.visit(argument, frame)

    def visit_Include(self, node: nodes.Include, frame: Frame) -> None:
        """Hand an included template over as one piece (Jinja: each of its pieces in a loop)."""
        template = node.template
        if (
            node.ignore_missing
            or not node.with_context
            or self.environment.is_async
            or not (isinstance(template, nodes.Const) and isinstance(template.value, str))
        ):
            super().visit_Include(node, frame)
            return
        self.writeline("template = environment.get_template(", node)
        self.visit(template, frame)
        self.write(f", {self.name!r})")
        self.writeline(
            "gen = template.root_render_func(template.new_context(context.get_all(), True,"
            f" {self.dump_local_context(frame)}))"
        )
        self.writeline("try:")
        self.indent()
        self.simple_write("environment.concat(gen)", frame)
        self.outdent()
        self.writeline("finally: gen.close()")


#: Callables that cannot carry Jinja's ``jinja_pass_arg`` mark: built-in functions and
#: methods (no attributes of their own) and macros.
_DIRECT = (BuiltinFunctionType, Macro)
#: Callables that carry it, if at all, as an attribute of their own (or their function's).
_FUNCTIONS = (FunctionType, MethodType)


@pass_eval_context
def _takes_eval_context(_eval_context: EvalContext) -> None:
    """Nothing: carries the mark of a function that takes the evaluation context."""


#: The mark of a function that takes the evaluation context (``_()`` is one).
_EVAL_CONTEXT = _takes_eval_context.jinja_pass_arg  # type: ignore[attr-defined]


class CallingContext(Context):
    """Jinja's template context, calling plain functions, built-in methods, macros and
    functions that take the evaluation context without asking each what it wants first."""

    @internalcode
    def call(
        __self,  # as Jinja's own: a template may pass a keyword argument named "self"
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Call ``__obj`` as :meth:`jinja2.runtime.Context.call` does."""
        kind = type(__obj)
        if kind not in _DIRECT:
            if kind not in _FUNCTIONS:
                return super().call(__obj, *args, **kwargs)
            passed = getattr(__obj, "jinja_pass_arg", None)
            if passed is _EVAL_CONTEXT:
                args = (__self.eval_ctx, *args)
            elif passed is not None:
                # The context or the environment: Jinja's own way.
                return super().call(__obj, *args, **kwargs)
        # Nothing else to pass in: drop the loop and block variables Jinja adds for
        # callables that take the context.
        if kwargs:
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


def localize(environment: Environment, language: Callable[[], Language | None]) -> None:
    """Compile and keep ``environment``'s templates once per language ``language()`` names.

    ``language()`` is asked when a template is looked up: None (outside a request) loads the
    template as Jinja does, with its phrases translated at every render.
    """
    if environment.bytecode_cache is not None:  # keyed by name and source, not language
        return
    jinja_load = environment._load_template
    # Keyed by name and language (Jinja's own cache has no language), in a plain dict: a
    # page looks up a dozen templates (its includes), and Jinja's LRU cache takes a lock and
    # reorders its queue at every look-up. The entries are the templates of the application
    # in each language, a bounded set; Jinja's cache turned off (``cache_size=0``) turns
    # this one off too.
    templates: dict[tuple[str, str], tuple[Any, Template]] = {}

    @internalcode
    def load(name: str, globals: MutableMapping[str, Any] | None) -> Template:
        spoken = language()
        loader = environment.loader
        if spoken is None or loader is None or environment.cache is None:
            return jinja_load(name, globals)
        key = (name, spoken[0])
        entry = templates.get(key)
        if (
            entry is not None
            and entry[0] is loader
            and (not environment.auto_reload or entry[1].is_up_to_date)
        ):
            template = entry[1]
            if globals:
                template.globals.update(globals)
            return template
        compiling = _compiling.set(spoken[1])
        try:
            template = loader.load(environment, name, environment.make_globals(globals))
        finally:
            _compiling.reset(compiling)
        templates[key] = (loader, template)
        return template

    environment._load_template = load  # type: ignore[method-assign]


def install(app: Flask, language: Callable[[], Language | None] | None = None) -> None:
    """Use the cheaper escaping and calls for every template of ``app`` (before any renders),
    and, given ``language``, compile them once per language (:func:`localize`)."""
    environment = app.jinja_env
    environment.code_generator_class = EscapingCodeGenerator
    environment.context_class = CallingContext
    if language is not None:
        localize(environment, language)
    if environment.cache is not None:
        # Templates compiled before this (none, in create_app) would keep Jinja's own code.
        environment.cache.clear()
