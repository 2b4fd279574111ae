"""The warehouse remembers which PII key made its pseudonyms and refuses any other.

Pseudonyms made with two keys no longer join, and an erasure by e-mail under the wrong key
would find nothing while reporting success; a fingerprint (HMAC of a constant) catches both.
"""

from __future__ import annotations

from datetime import UTC, datetime

from commercelens.errors import ConfigError
from commercelens.privacy.pseudonyms import pseudonymise
from commercelens.warehouse.base import Warehouse
from commercelens.warehouse.ops import PII_KEY

_CHECK = "commercelens:pii-key-check"


def key_fingerprint(key: bytes) -> str:
    return pseudonymise(_CHECK, key)


def check_pii_key(warehouse: Warehouse, key: bytes) -> None:
    """Record the key's fingerprint on first use; raise ConfigError if another key was used."""
    rows = warehouse.fetch_all(f"select fingerprint from {PII_KEY} order by created_at limit 1")
    fingerprint = key_fingerprint(key)
    if not rows:
        warehouse.execute(
            f"insert into {PII_KEY} values (?, ?)", [fingerprint, datetime.now(UTC).replace(tzinfo=None)]
        )
    elif rows[0][0] != fingerprint:
        raise ConfigError(
            "this warehouse was pseudonymised with a different PII key: use the same "
            "COMMERCELENS_PII_KEY (pseudonyms made with two keys would not join), or start a new workdir"
        )
