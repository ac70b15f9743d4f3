"""The errors the case engine raises; every one derives from :class:`MediationError`."""

from __future__ import annotations

from collections.abc import Sequence

from workflows.guards import Blocker


class MediationError(Exception):
    """Root of every error the engine reports to a user."""


class NotFound(MediationError):
    """The object does not exist (or the user may not know that it does)."""


class InvalidInput(MediationError):
    """The user's input is wrong; the message says what is wrong."""


class PermissionDenied(MediationError):
    """The user may not do this."""


class Conflict(MediationError):
    """The case changed since the user loaded it; nothing was written."""

    def __init__(self, message: str, *, current_state: str = "", current_version: int = 0):
        super().__init__(message)
        self.current_state = current_state
        self.current_version = current_version


class StorageFull(MediationError):
    """The database's disk is full: the transaction was rolled back, nothing was written."""


class TransitionNotAllowed(MediationError):
    """The trigger is not declared from the case's current state."""


class GuardFailed(MediationError):
    """A declared trigger is blocked; ``blockers`` say what is missing."""

    def __init__(self, trigger: str, blockers: Sequence[Blocker]):
        self.trigger = trigger
        self.blockers = tuple(blockers)
        super().__init__("; ".join(b.render() for b in self.blockers))
