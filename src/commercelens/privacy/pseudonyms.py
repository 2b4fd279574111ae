"""Keyed pseudonyms (HMAC-SHA256) in Python and as a DuckDB SQL expression.

The SQL form lets ingestion pseudonymise millions of values vectorised inside DuckDB; the
Python form is what `privacy erase --email` uses to find a subject. A unit test pins them
equal. The key never appears in SQL text: its pads live in DuckDB session variables.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb

_BLOCK = 64  # SHA-256 block size in bytes (RFC 2104)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def pseudonymise(value: str, key: bytes) -> str:
    """HMAC-SHA256 of `value` under `key`, as 64 hex characters.

    Examples
    --------
    >>> pseudonymise("a@example.com", b"k" * 16)[:12]
    'af538e6ff80f'
    """
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymise_email(email: str, key: bytes) -> str:
    return pseudonymise(normalise_email(email), key)


def set_key(engine: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Store the HMAC inner and outer pads as session variables of a DuckDB connection."""
    block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
    block = block.ljust(_BLOCK, b"\0")
    engine.execute("set variable pii_ipad = ?", [bytes(b ^ 0x36 for b in block).hex()]).fetchall()
    engine.execute("set variable pii_opad = ?", [bytes(b ^ 0x5C for b in block).hex()]).fetchall()


def hmac_sql(expr: str) -> str:
    """SQL computing HMAC-SHA256 hex of the VARCHAR `expr` (NULL stays NULL)."""
    inner = f"unhex(sha256(unhex(getvariable('pii_ipad')) || encode({expr})))"
    return f"sha256(unhex(getvariable('pii_opad')) || {inner})"


def email_pseudonym_sql(expr: str) -> str:
    return hmac_sql(f"lower(trim({expr}))")
