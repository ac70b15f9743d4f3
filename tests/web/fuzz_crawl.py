"""Find every form of the web application by crawling it as a logged-in user.

Used by ``tests/web/test_fuzz_every_form.py``: the forms are discovered, not listed by hand,
so a form added to a page is fuzzed without anyone touching the test.

- :func:`parse_page` reads the same-site links of a page, its GET forms (expanded into one URL
  per option of each ``<select>``, so filter pages are reached too) and its POST forms with
  every field a browser could send: inputs (hidden ones included), selects with their
  options, textareas, and named submit buttons.
- :class:`Crawler` walks the GET pages of one logged-in client breadth first, bounded: at
  most ``max_pages`` pages, and an endpoint is left alone once ``stale_after`` of its pages
  in a row brought no form not seen before (the hundredth case page of a state adds
  nothing). Downloads (PDF, CSV, XLSX) and static files are not fetched.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter

#: GET endpoints the crawler never fetches: files, not pages (and the PDFs take seconds).
NOT_PAGES = frozenset(
    {
        "static",
        "bootstrap.static",
        "mediator.download_document",
        "mediator.draft_agreement_pdf",
        "supervisor.summary_pdf",
        "supervisor.export_csv",
        "supervisor.export_xlsx",
    }
)

_IDENTIFIER = re.compile(r"[a-z_]+")
_ROW = re.compile(r"-\d+(?=-|$)")


@dataclass(frozen=True)
class Field:
    """One control of a form, as rendered."""

    name: str
    tag: str  # input, select, textarea, button
    type: str  # the input's type ("text", "hidden", "file", "checkbox", ...); tag otherwise
    value: str
    options: tuple[str, ...] = ()
    checked: bool = False


@dataclass
class Form:
    """A ``<form>``: where it was found, where it goes, and its controls."""

    page: str
    action: str
    method: str
    enctype: str
    fields: list[Field] = field(default_factory=list)

    @property
    def names(self) -> tuple[str, ...]:
        """The distinct names of the form's controls, sorted."""
        return tuple(sorted({f.name for f in self.fields}))

    @property
    def multipart(self) -> bool:
        """Tell whether the form uploads files."""
        return "multipart" in self.enctype or any(f.type == "file" for f in self.fields)

    def browser_values(self) -> list[tuple[str, str]]:
        """What a browser sends when the form is submitted with its first submit button."""
        values: list[tuple[str, str]] = []
        button_sent = False
        for f in self.fields:
            if f.type in ("checkbox", "radio") and not f.checked:
                continue
            if f.tag == "button" or f.type in ("submit", "image"):
                if button_sent:
                    continue
                button_sent = True
            if f.type == "file":
                continue
            values.append((f.name, f.value))
        return values


class _PageReader(HTMLParser):
    """Collect the links and forms of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict[str, object] | None = None
        self._textarea: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(
                page="",
                action=a.get("action", ""),
                method=a.get("method", "get").lower(),
                enctype=a.get("enctype", "").lower(),
            )
            self.forms.append(self._form)
        if self._form is None or "name" not in a or "disabled" in a:
            if tag == "option" and self._select is not None:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("reset",):
                return
            self._form.fields.append(
                Field(
                    name,
                    tag,
                    kind,
                    a.get("value", "on" if kind == "checkbox" else ""),
                    checked="checked" in a,
                )
            )
        elif tag == "button":
            if a.get("type", "submit").lower() == "submit":
                self._form.fields.append(Field(name, tag, "submit", a.get("value", "")))
        elif tag == "select":
            self._select = {"name": name, "options": [], "selected": None}
        elif tag == "textarea":
            self._textarea = {"name": name, "text": ""}

    def _option(self, a: dict[str, str]) -> None:
        assert self._select is not None
        options = self._select["options"]
        assert isinstance(options, list)
        value = a.get("value", "")
        options.append(value)
        if "selected" in a and self._select["selected"] is None:
            self._select["selected"] = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            assert isinstance(options, list)
            selected = self._select["selected"]
            value = selected if isinstance(selected, str) else (options[0] if options else "")
            if self._form is not None:
                self._form.fields.append(
                    Field(str(self._select["name"]), "select", "select", value, tuple(options))
                )
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                text = self._textarea["text"].removeprefix("\r").removeprefix("\n")
                self._form.fields.append(
                    Field(self._textarea["name"], "textarea", "textarea", text)
                )
            self._textarea = None


@dataclass
class Page:
    """What one HTML page offers: links to follow and forms to post."""

    url: str
    links: list[str]
    post_forms: list[Form]
    get_forms: list[Form] = field(default_factory=list)


def parse_page(url: str, html: str) -> Page:
    """Read a page's same-site links (GET forms expanded) and its POST forms."""
    reader = _PageReader()
    reader.feed(html)
    reader.close()
    links = [urljoin(url, href) for href in reader.links]
    post_forms = []
    get_forms = []
    for form in reader.forms:
        form.page = url
        form.action = urljoin(url, form.action or url)
        if form.method == "post":
            post_forms.append(form)
            continue
        # A GET form (filters, a period picker): its defaults, and each option of each select.
        get_forms.append(form)
        base = form.browser_values()
        links.append(f"{form.action.split('?')[0]}?{urlencode(base)}")
        for select in (f for f in form.fields if f.tag == "select"):
            for option in select.options[:12]:
                values = [(k, option if k == select.name else v) for k, v in base]
                links.append(f"{form.action.split('?')[0]}?{urlencode(values)}")
    return Page(url, links, post_forms, get_forms)


def same_site_path(url: str) -> str | None:
    """Return the path and query of a same-site URL, or None for another site."""
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", "localhost"):
        return None
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def endpoint_of(adapter: MapAdapter, path: str, method: str = "GET") -> tuple[str, dict] | None:
    """Return (endpoint, view arguments) of a path, or None when no rule matches."""
    try:
        endpoint, args = adapter.match(path.split("?")[0], method=method)
    except HTTPException:
        return None
    except Exception:  # a redirect (RequestRedirect is an HTTPException too) or a routing oddity
        return None
    return str(endpoint), dict(args)


def form_key(adapter: MapAdapter, form: Form, method: str = "POST") -> tuple[str, ...]:
    """What makes two forms the same form: the POST rule, its identifier arguments
    (``/actions/<action>``, ``/documents/<kind>``) and the names of the fields.

    Case numbers and ids are not part of it: the same action's form on two cases is one form.
    """
    path = same_site_path(form.action) or form.action
    match = endpoint_of(adapter, path, method)
    if match is None:
        return ("?", path, *form.names)
    endpoint, args = match
    kinds = tuple(
        f"{k}={v}"
        for k, v in sorted(args.items())
        if isinstance(v, str) and _IDENTIFIER.fullmatch(v)
    )
    # The rows of a list of fields (terms-0-amount, terms-1-amount, ...) are one field.
    names = sorted({_ROW.sub("-N", name) for name in form.names})
    return (endpoint, *kinds, "|", *names)


@dataclass
class Found:
    """A discovered form, the client that saw it and its key."""

    client_label: str
    form: Form
    key: tuple[str, ...]

    @property
    def endpoint(self) -> str:
        """The endpoint the form posts to."""
        return self.key[0]


class Crawler:
    """Walk the GET pages reachable by one client, collecting the POST forms."""

    def __init__(
        self,
        app: Flask,
        *,
        max_pages: int = 120,
        stale_after: int = 4,
        not_pages: Iterable[str] = NOT_PAGES,
    ) -> None:
        self.adapter = app.url_map.bind("localhost")
        self.max_pages = max_pages
        self.stale_after = stale_after
        self.not_pages = frozenset(not_pages)
        self.forms: dict[tuple[str, ...], Found] = {}
        self.get_forms: dict[tuple[str, ...], Found] = {}
        #: The first link with a query string to each GET endpoint, and who saw it.
        self.query_links: dict[str, tuple[str, str]] = {}
        self.pages_fetched = 0
        self.statuses: dict[str, int] = {}

    def crawl(self, client: FlaskClient, label: str, start: Iterable[str]) -> None:
        """Fetch pages breadth first from ``start``; keep the first form of every key."""
        queue = deque(start)
        seen: set[str] = set(queue)
        stale: dict[str, int] = {}
        fetched = 0
        while queue and fetched < self.max_pages:
            path = queue.popleft()
            match = endpoint_of(self.adapter, path)
            if match is not None and "?" in path:
                self.query_links.setdefault(match[0], (label, path))
            if match is None or match[0] in self.not_pages:
                continue
            endpoint = match[0]
            if stale.get(endpoint, 0) >= self.stale_after:
                continue
            response = client.get(path)
            fetched += 1
            self.pages_fetched += 1
            self.statuses[path] = response.status_code
            if response.status_code >= 500:
                raise AssertionError(f"GET {path} as {label}: {response.status_code}")
            if response.status_code in (301, 302, 303, 307, 308) and response.location:
                target = same_site_path(urljoin(f"http://localhost{path}", response.location))
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.appendleft(target)
                continue
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            page = parse_page(f"http://localhost{path}", response.get_data(as_text=True))
            new = 0
            for form in page.post_forms:
                key = form_key(self.adapter, form)
                if key not in self.forms:
                    self.forms[key] = Found(label, form, key)
                    new += 1
            for form in page.get_forms:
                key = form_key(self.adapter, form, "GET")
                if key not in self.get_forms:
                    self.get_forms[key] = Found(label, form, key)
            stale[endpoint] = 0 if new else stale.get(endpoint, 0) + 1
            for link in page.links:
                target = same_site_path(link)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append(target)
