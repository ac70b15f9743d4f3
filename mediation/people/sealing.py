"""Resident ID and phone numbers sealed at rest: AES-256-GCM, the row as associated data.

A party's ``id_number``, ``phone`` and ``agent_phone`` are stored as tokens
``v1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>``, never in clear: a database dump, a
backup or a replica holds no number. The associated data names the row and the column
(``party/<case id>/<role>/<column>``), so a token copied into another case, another party or
another column does not open: it fails authentication instead of showing the wrong person's
number. An empty value stays empty (the guards ask whether a number is known, not what it is).

Keys come from the environment:

- ``MEDIATION_DATA_KEY`` — base64 of 32 random bytes (``openssl rand -base64 32``); every new
  value is sealed with it. Required in production (:mod:`mediation.production`).
- ``MEDIATION_DATA_KEYS_RETIRED`` — earlier keys, comma-separated, still accepted for reading
  while ``mediation rotate-data-key`` re-seals the rows with the current one.

Outside production an unset key falls back to :data:`DEVELOPMENT_KEY`, which is published in
this file: it keeps demo and test databases readable by every process of a checkout, and
protects nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation.errors import MediationError

#: The party columns that are sealed.
SEALED_PARTY_FIELDS = ("id_number", "phone", "agent_phone")

#: The well-known key of development and test databases (never accepted in production).
DEVELOPMENT_KEY = base64.b64encode(b"mediation-development-key-000000").decode()

KEY_VARIABLE = "MEDIATION_DATA_KEY"
RETIRED_VARIABLE = "MEDIATION_DATA_KEYS_RETIRED"

_PREFIX = "v1"
_NONCE_BYTES = 12


class SealingError(MediationError):
    """A sealed value cannot be opened, or the keys are not usable."""


@dataclass(frozen=True)
class KeyRing:
    """The current key (seals) and the retired ones (still open what they sealed)."""

    current_id: str
    ciphers: Mapping[str, AESGCM]

    def seal(self, value: str, associated: str) -> str:
        """Return ``value`` sealed for the row and column ``associated`` names ("" stays "")."""
        if not value:
            return ""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self.ciphers[self.current_id].encrypt(
            nonce, value.encode("utf-8"), associated.encode("utf-8")
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{_PREFIX}.{self.current_id}.{body}"

    def open(self, token: str, associated: str) -> str:
        """Return the clear value of ``token`` sealed for ``associated`` ("" stays "")."""
        if not token:
            return ""
        prefix, _, rest = token.partition(".")
        key_id, _, body = rest.partition(".")
        if prefix != _PREFIX or not body:
            raise SealingError(f"{associated}: the stored value is not a sealed value")
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise SealingError(
                f"{associated}: sealed with key {key_id}, which is neither {KEY_VARIABLE} "
                f"nor among {RETIRED_VARIABLE}"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            clear = cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], associated.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise SealingError(
                f"{associated}: the sealed value does not open (altered, or moved from another row)"
            ) from None
        return clear.decode("utf-8")

    def is_current(self, token: str) -> bool:
        """Tell whether ``token`` is empty or sealed with the current key."""
        return not token or token.startswith(f"{_PREFIX}.{self.current_id}.")


def key_id(key: bytes) -> str:
    """Name a key without revealing it: the first 8 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def _decode_key(text: str, variable: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SealingError(
            f"{variable} is not base64 (make a key with: openssl rand -base64 32)"
        ) from None
    if len(key) != 32:
        raise SealingError(
            f"{variable} must be 32 bytes in base64, not {len(key)} "
            "(make one with: openssl rand -base64 32)"
        )
    return key


def key_ring_from(env: Mapping[str, str]) -> KeyRing:
    """Build the key ring the environment describes (the development key when none is set)."""
    current = _decode_key(env.get(KEY_VARIABLE, "").strip() or DEVELOPMENT_KEY, KEY_VARIABLE)
    keys = [current]
    for index, text in enumerate(env.get(RETIRED_VARIABLE, "").split(","), start=1):
        if text.strip():
            keys.append(_decode_key(text, f"{RETIRED_VARIABLE} (key {index})"))
    return KeyRing(current_id=key_id(current), ciphers={key_id(k): AESGCM(k) for k in keys})


def configuration_problems(env: Mapping[str, str]) -> list[str]:
    """Say what is wrong with the data keys for a production start (empty: nothing)."""
    text = env.get(KEY_VARIABLE, "").strip()
    if not text:
        return [f"{KEY_VARIABLE} is not set (make one: openssl rand -base64 32)"]
    if text == DEVELOPMENT_KEY:
        return [f"{KEY_VARIABLE} is the published development key"]
    try:
        key_ring_from(env)
    except SealingError as exc:
        return [str(exc)]
    return []


_ring: KeyRing | None = None
_ring_lock = threading.Lock()


def key_ring() -> KeyRing:
    """Return the process's key ring, read from the environment once."""
    global _ring
    if _ring is None:
        with _ring_lock:
            if _ring is None:
                _ring = key_ring_from(os.environ)
    return _ring


def reset_key_ring() -> None:
    """Forget the key ring, so that the next use reads the environment again."""
    global _ring
    _ring = None


def party_associated(case_id: int, role: str, column: str) -> str:
    """Name the row and column a party's sealed value belongs to."""
    return f"party/{case_id}/{role}/{column}"


def _each_sealed(
    case_id: int, role: str, values: Mapping[str, Any], change: Callable[[str, str], str]
) -> dict[str, Any]:
    return {
        column: change(value, party_associated(case_id, role, column))
        if column in SEALED_PARTY_FIELDS
        else value
        for column, value in values.items()
    }


def seal_party(case_id: int, role: str, values: Mapping[str, str]) -> dict[str, str]:
    """Return a party's column values with the sealed columns sealed for that row."""
    return _each_sealed(case_id, role, values, key_ring().seal)


def open_party_value(case_id: int, role: str, column: str, token: str) -> str:
    """Return the clear value of one sealed party column."""
    return key_ring().open(token, party_associated(case_id, role, column))


def open_party(case_id: int, role: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return a party's column values with the sealed columns opened."""
    return _each_sealed(case_id, role, values, key_ring().open)
