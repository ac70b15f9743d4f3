"""Run the web application under gunicorn."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Each worker builds its own app (and database engine) after the fork.
        from mediation.app import create_app

        return create_app()


def run(*, database_url: str, host: str, port: int, workers: int) -> None:
    """Serve on host:port with the given number of worker processes."""
    os.environ["DATABASE_URL"] = database_url
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "accesslog": "-",
            "preload_app": False,
            "timeout": 60,
        }
    ).run()
