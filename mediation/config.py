"""Settings read from the environment, with an embedded SQLite default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_database_url() -> str:
    """Return the SQLite file under ``$MEDIATION_DATA_DIR`` (default ``./instance``)."""
    data_dir = Path(os.environ.get("MEDIATION_DATA_DIR", "instance")).resolve()
    return f"sqlite:///{data_dir / 'mediation.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    """What the engine needs to know about where it runs."""

    database_url: str
    redis_url: str | None
    case_number_prefix: str

    @classmethod
    def from_env(cls) -> Settings:
        """Read the settings from environment variables."""
        return cls(
            database_url=os.environ.get("DATABASE_URL") or default_database_url(),
            redis_url=os.environ.get("REDIS_URL") or None,
            case_number_prefix=os.environ.get("MEDIATION_CASE_PREFIX", "DX"),
        )
