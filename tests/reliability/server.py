"""The real application under gunicorn in a subprocess, and HTTP clients that log in to it.

The server is what ``mediation serve --workers N`` runs (:class:`mediation.server._Server`:
``preload_app`` off, each worker builds its own application, engine and pool after the fork,
one session key shared by the workers through ``SECRET_KEY``), bound to a socket this process
opened on a free port of 127.0.0.1 and handed to gunicorn (``fd://``), so there is no race for
the port. :class:`Server` stops it (SIGTERM, then SIGKILL) however the test ends.

    python -m tests.reliability.server FD DATABASE_URL WORKERS     # the child process

Clients speak plain ``http.client``: :func:`log_in` goes through the login form with its CSRF
token as a browser does and returns a :class:`Browser` holding the session cookie. Passwords
are hashed with cheap argon2id parameters on both sides (:func:`cheap_hasher`).
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher

ROOT = Path(__file__).resolve().parents[2]
USER_AGENT = "mediation-reliability-test/1"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def cheap_hasher() -> PasswordHasher:
    """The cheapest argon2id parameters, as the web tests use (tests/web/conftest.py).

    These tests are about races in the database, not the cost of a login: with production
    parameters each of the hundred logins costs a third of a CPU second. The server uses the
    same parameters (:func:`serve`), so a hash made with them is not rehashed at login.
    """
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def serve(fd: int, database_url: str, workers: int) -> None:
    """Run gunicorn as ``mediation serve`` does, on an already bound socket (in the child)."""
    from mediation.people import passwords
    from mediation.server import _Server, prepare_environment

    passwords._HASHER = cheap_hasher()  # before the fork: every worker inherits it
    prepare_environment(database_url)
    _Server(
        {
            "bind": f"fd://{fd}",
            "workers": workers,
            "worker_class": "sync",
            "preload_app": False,
            "timeout": 120,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "mediation-reliability",
        }
    ).run()


class Server:
    """gunicorn with ``workers`` workers serving ``database_url`` on a free local port."""

    def __init__(self, database_url: str, workers: int) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        # Room for every simultaneous client of a test while the workers are busy.
        listener.listen(256)
        listener.set_inheritable(True)
        self.host, self.port = listener.getsockname()[:2]
        self.workers = workers
        environment = {
            key: value
            for key, value in os.environ.items()
            # Development settings, in-memory login counters: nothing of the caller's setup.
            if key not in {"MEDIATION_ENV", "REDIS_URL", "PUBLIC_BASE_URL", "TRUSTED_PROXIES"}
        }
        environment["SECRET_KEY"] = secrets.token_hex(32)
        try:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.reliability.server",
                    str(listener.fileno()),
                    database_url,
                    str(workers),
                ],
                cwd=ROOT,
                env=environment,
                pass_fds=(listener.fileno(),),
            )
        finally:
            listener.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def worker_pids(self) -> list[int]:
        """Return the pids of the gunicorn workers (children of the arbiter), Linux only."""
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return []
        return [int(child) for child in children]

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the login page answers and every worker has been forked."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer in time")
            try:
                status, _body, _response = self.request("GET", "/login")
            except OSError:
                status = 0
            if status == 200 and len(self.worker_pids()) >= self.workers:
                return
            time.sleep(0.1)

    def connection(self) -> http.client.HTTPConnection:
        """Return a new connection to the server."""
        return http.client.HTTPConnection(self.host, self.port, timeout=120)

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        cookie: str = "",
        connection: http.client.HTTPConnection | None = None,
    ) -> tuple[int, str, http.client.HTTPResponse]:
        """Send one request (a form as urlencoded body); return status, body and response."""
        own = connection is None
        connection = connection or self.connection()
        headers = {"User-Agent": USER_AGENT}
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            if own:
                connection.close()
        return response.status, text, response

    def stop(self) -> None:
        """Stop gunicorn gracefully (SIGTERM), killing it if it does not stop in time."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def csrf_token(page: str) -> str:
    """Return the CSRF token of the first form on an HTML page."""
    match = _CSRF.search(page)
    if match is None:
        raise AssertionError(f"no CSRF token on the page:\n{page[:600]}")
    return match.group(1) or match.group(2)


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        for name, morsel in parsed.items():
            jar[name] = morsel.value


@dataclass
class Browser:
    """One logged-in session: its cookies, used over connections of its own."""

    server: Server
    username: str
    jar: dict[str, str] = field(default_factory=dict)

    @property
    def cookie(self) -> str:
        """Return the Cookie header of this session."""
        return "; ".join(f"{name}={value}" for name, value in self.jar.items())

    def get(self, path: str) -> tuple[int, str]:
        """GET a page in this session."""
        status, body, response = self.server.request("GET", path, cookie=self.cookie)
        _cookies(response, self.jar)
        return status, body

    def post(self, path: str, form: dict[str, str], connection: Any = None) -> tuple[int, str, str]:
        """POST a form in this session; return status, body and the Location header."""
        status, body, response = self.server.request(
            "POST", path, form=form, cookie=self.cookie, connection=connection
        )
        _cookies(response, self.jar)
        return status, body, response.headers.get("Location", "")


def log_in(server: Server, username: str, password: str) -> Browser:
    """Log in through the login form (GET for the token, then POST); return the session."""
    browser = Browser(server, username)
    status, page = browser.get("/login")
    assert status == 200, f"the login page answered {status}"
    status, body, _location = browser.post(
        "/login",
        {"username": username, "password": password, "csrf_token": csrf_token(page)},
    )
    assert status == 302, f"logging in as {username} failed with {status}:\n{body[:600]}"
    return browser


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
