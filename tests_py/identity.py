"""The tests' customer_key, computed independently of segmart.keys and the SQL
macro: Python's hmac module over the normalised email, under the fixed test key
that conftest gives every build (SEGMART_CUSTOMER_KEY_SECRET)."""

from __future__ import annotations

import hashlib
import hmac

# 32 bytes, hex: the test installation's key (never a real shop's).
TEST_SECRET = "5e" * 16 + "a7" * 16


def key(email: str) -> str:
    """customer_key of `email` under the test key (trimmed, lower-cased first)."""
    message = email.strip().lower().encode("utf-8")
    return hmac.new(bytes.fromhex(TEST_SECRET), message, hashlib.sha256).hexdigest()
