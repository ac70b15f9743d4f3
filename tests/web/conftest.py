"""Fixtures for the web application."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mediation.app import create_app, get_database
from mediation.db import Database


@pytest.fixture
def app(database: Database) -> Iterator[Flask]:
    """The application on the test database."""
    application = create_app({"DATABASE_URL": database.url, "TESTING": True})
    yield application
    get_database(application).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the application."""
    return app.test_client()
