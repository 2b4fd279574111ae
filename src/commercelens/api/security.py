"""API keys: created once by the CLI, stored only as salted hashes, checked in constant time.

A key reads `clk_<id>_<secret>`: `id` (8 hex digits) finds its record, `secret` (43 URL-safe
characters, 256 random bits) is what proves it. The workdir's `state/api_keys.json` (mode 0600)
keeps per key its name, id, a random 16-byte salt, HMAC-SHA256(salt, key) and when it was
created; never the key. A fast keyed hash is enough here: the secret is random and long, so there
is nothing to guess (a slow password hash would only add milliseconds to every request).
Verification compares digests with `hmac.compare_digest`, and an unknown id is checked against a
dummy record, so the time taken says nothing about which ids exist.

The store re-reads the file when it changes, so a key created or revoked while `serve` runs
takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from commercelens.errors import UserError

HEADER = "X-API-Key"
KEYS_FILE = "state/api_keys.json"
_KEY = re.compile(r"clk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class KeyRecord:
    name: str
    key_id: str
    salt: str  # hex
    digest: str  # hex HMAC-SHA256(salt, key)
    created_at: str


def _digest(salt: str, key: str) -> str:
    return hmac.new(bytes.fromhex(salt), key.encode(), hashlib.sha256).hexdigest()


_DUMMY = KeyRecord("", "", "00" * 16, _digest("00" * 16, "clk_00000000_" + "x" * 43), "")


class KeyStore:
    """The API keys of one workdir (`<workdir>/state/api_keys.json`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._records: dict[str, KeyRecord] = {}
        self._stamp: tuple[int, int] | None = None

    @classmethod
    def for_workdir(cls, home: Path) -> KeyStore:
        return cls(home / KEYS_FILE)

    def records(self) -> list[KeyRecord]:
        self._refresh()
        return sorted(self._records.values(), key=lambda r: r.created_at)

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._records, self._stamp = {}, None
            return
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            records = [KeyRecord(**item) for item in raw.get("keys", [])]
        except (ValueError, TypeError, AttributeError) as exc:
            raise UserError(f"{self.path} is not a valid API key file ({exc})") from exc
        self._records = {r.key_id: r for r in records}
        self._stamp = stamp

    def verify(self, key: str | None) -> KeyRecord | None:
        """The record of a valid key, else None (constant time in the key's secret part)."""
        if not key:
            return None
        try:
            self._refresh()
        except UserError:
            return None  # a broken file lets nobody in
        match = _KEY.fullmatch(key)
        record = self._records.get(match.group(1)) if match else None
        candidate = record or _DUMMY
        ok = hmac.compare_digest(_digest(candidate.salt, key), candidate.digest)
        return record if ok and record is not None else None

    def create(self, name: str) -> str:
        """Store a new key for `name` and return it (the only time it exists in clear)."""
        if not _NAME.fullmatch(name):
            raise UserError(
                f"invalid key name {name!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter "
                "or digit"
            )
        records = self.records()
        if any(r.name == name for r in records):
            raise UserError(
                f"an API key named {name!r} exists: revoke it first (`commercelens api-key revoke`)"
            )
        taken = {r.key_id for r in records}
        key_id = secrets.token_hex(4)
        while key_id in taken:
            key_id = secrets.token_hex(4)
        key = f"clk_{key_id}_{secrets.token_urlsafe(32)}"
        salt = secrets.token_hex(16)
        created = datetime.now(UTC).isoformat(timespec="seconds")
        self._write([*records, KeyRecord(name, key_id, salt, _digest(salt, key), created)])
        return key

    def revoke(self, name: str) -> KeyRecord:
        records = self.records()
        gone = [r for r in records if r.name == name]
        if not gone:
            raise UserError(f"no API key named {name!r}")
        self._write([r for r in records if r.name != name])
        return gone[0]

    def _write(self, records: list[KeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"keys": [asdict(r) for r in records]}, indent=2)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None
