"""Run the web application under gunicorn.

Each worker builds its own application — and so its own database engine and connection pool,
and its own Redis connection for the login counters — in :meth:`_Server.load`, after gunicorn
has forked it (``preload_app`` is off): no socket is ever shared between processes.
"""

from __future__ import annotations

import gc
import os
import secrets
from typing import Any

from gunicorn.app.base import BaseApplication

from mediation import production

#: The request line without its query string: searches carry party names and ID numbers.
ACCESS_LOG_FORMAT = '%(h)s - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in each worker after the fork: a new app, engine and pool per process.
        from mediation import logconfig
        from mediation.app import create_app

        logconfig.configure()
        return frozen(create_app())


def frozen(app: Any) -> Any:
    """Move everything the process holds once the app is built out of the collector's sight.

    The modules, the app and its compiled statements are some 150,000 objects that live as long
    as the worker; without this every full collection walks them all again (about half of the
    collector's cost per page request). Returns ``app``.
    """
    gc.collect()
    gc.freeze()
    return app


def prepare_environment(database_url: str) -> None:
    """Check the production settings and share one session key among the workers."""
    production.check()
    logconfig_format = os.environ.get("LOG_FORMAT", "text").strip().lower()
    if logconfig_format not in {"text", "json"}:
        raise production.ConfigurationError(
            f"LOG_FORMAT must be text or json, not {logconfig_format!r}"
        )
    os.environ["DATABASE_URL"] = database_url
    if not os.environ.get("SECRET_KEY"):
        # Outside production: one random key for this run, drawn before the fork, so that a
        # cookie signed by one worker is accepted by the others (sessions end at restart).
        os.environ["SECRET_KEY"] = secrets.token_hex(32)


def run(*, database_url: str, host: str, port: int, workers: int) -> None:
    """Serve on host:port with the given number of worker processes."""
    prepare_environment(database_url)
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "accesslog": "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "preload_app": False,
            "timeout": 60,
            # Behind a reverse proxy on the same host; TRUSTED_PROXIES decides what the
            # application believes of its X-Forwarded-* headers (mediation/web/security.py).
            "forwarded_allow_ips": os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        }
    ).run()
