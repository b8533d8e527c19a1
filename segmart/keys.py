"""The customer_key secret: ``customer_key`` is HMAC-SHA-256 of the normalised
email under a key of this installation, so a list of emails cannot re-identify
BI rows or webhook events without the key.

- The key: 32 random bytes, written on first use to the secret file
  (``$SEGMART_SECRET_FILE``, default ``~/.config/segmart/customer_key.secret``,
  mode 0600, outside the repository). Keep it with the database backups: a new
  key gives everyone a new customer_key, and history built under the old key no
  longer joins (docs/privacy.md).
- dbt gets it as ``SEGMART_CUSTOMER_KEY_PADS``: the key's two HMAC pads
  (key XOR 0x36.., key XOR 0x5c.., 64 bytes each, hex), so the SQL on every
  engine is two plain SHA-256 calls (macro ``customer_key``). segmart sets it for
  every dbt it runs; for a plain ``dbt build`` run
  ``export $(segmart key --env)`` first.
- ``SEGMART_CUSTOMER_KEY_SECRET`` (64 hex characters) replaces the file: CI and
  the tests use a fixed test key this way.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from segmart.errors import UserError

SECRET_ENV = "SEGMART_CUSTOMER_KEY_SECRET"
SECRET_FILE_ENV = "SEGMART_SECRET_FILE"
PADS_ENV = "SEGMART_CUSTOMER_KEY_PADS"
_BLOCK = 64  # SHA-256's block size in bytes (RFC 2104)


def secret_file() -> Path:
    """Where this installation's key lives."""
    if os.environ.get(SECRET_FILE_ENV):
        return Path(os.environ[SECRET_FILE_ENV]).expanduser()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "segmart" / "customer_key.secret"


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) < 16 or len(key) > _BLOCK:
        raise UserError(f"{where}: the customer_key secret must be 32-128 hex digits")
    return key


def secret() -> bytes:
    """The key: from SEGMART_CUSTOMER_KEY_SECRET, else the secret file (created
    with a new random key, readable by its owner only, when there is none)."""
    if os.environ.get(SECRET_ENV):
        return _parse(os.environ[SECRET_ENV], SECRET_ENV)
    path = secret_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return _parse(path.read_text(), str(path))


def normalise(email: str) -> str:
    """What the key is computed on: the trimmed, lower-cased email (staging's)."""
    return email.strip().lower()


def pads(key: bytes) -> str:
    """The value of SEGMART_CUSTOMER_KEY_PADS: hex of (key XOR ipad) then hex of
    (key XOR opad), the key zero-padded to the block (RFC 2104)."""
    padded = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in padded)
    outer = bytes(b ^ 0x5C for b in padded)
    return inner.hex() + outer.hex()


def current_pads() -> str:
    """SEGMART_CUSTOMER_KEY_PADS as dbt sees it: the environment's, else the
    secret's."""
    text = os.environ.get(PADS_ENV) or pads(secret())
    if len(text) != 4 * _BLOCK or any(c not in "0123456789abcdef" for c in text):
        raise UserError(f"{PADS_ENV}: expected {4 * _BLOCK} lower-case hex digits")
    return text


def dbt_env() -> dict[str, str]:
    """The environment dbt needs for the customer_key macro."""
    return {PADS_ENV: current_pads()}


def customer_key(email: str) -> str:
    """The customer_key of an email, exactly as the macro computes it:
    SHA-256(outer pad + SHA-256(inner pad + email)), hex."""
    both = bytes.fromhex(current_pads())
    inner_pad, outer_pad = both[:_BLOCK], both[_BLOCK:]
    inner = hashlib.sha256(inner_pad + normalise(email).encode("utf-8")).digest()
    return hashlib.sha256(outer_pad + inner).hexdigest()
