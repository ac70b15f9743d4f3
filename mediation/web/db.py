"""The database of the current request."""

from __future__ import annotations

from flask import current_app, g
from sqlmodel import Session

from mediation.db import Database


def database() -> Database:
    """Return the application's database."""
    db: Database = current_app.extensions["database"]
    return db


def read_session() -> Session:
    """Return this request's reading session (closed when the request ends)."""
    if "read_session" not in g:
        g.read_session = database().read_session()
    session: Session = g.read_session
    return session
