"""API keys per tenant: creation, hashing, lookup and revocation.

A key is ``opp_`` followed by 43 URL-safe characters (256 random bits from
:mod:`secrets`).  Only ``HMAC-SHA256(pepper, key)`` is stored: the pepper is a
server-side secret (``OPPORTUNE_API_KEY_PEPPER``) kept out of the database, so a leaked
database alone does not allow checking guesses.  A slow password hash (scrypt, PBKDF2)
would add nothing here: with 256 random bits there is nothing to brute-force, and a
fast keyed hash lets the key be looked up by an index instead of scanning every key.

References
----------
.. [1] OWASP, "Password Storage Cheat Sheet" (peppering).
.. [2] H. Krawczyk, M. Bellare, R. Canetti, "HMAC: Keyed-Hashing for Message
   Authentication", RFC 2104, 1997.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from optimizer.service.db import ApiKey, Store, Tenant, utcnow

KEY_PREFIX = "opp_"
SHOWN_PREFIX_CHARS = 12
CACHE_TTL_S = 10.0
"""A successful lookup is remembered this long (so a revocation takes effect within it)."""


def generate_key() -> str:
    """A new random API key (256 bits of entropy)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str, pepper: str) -> str:
    """Hex HMAC-SHA256 of ``key`` under ``pepper`` (the stored form of a key)."""
    return hmac.new(pepper.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    """A key's metadata (never the key itself)."""

    key_id: int
    tenant: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def create_key(store: Store, tenant: str, pepper: str) -> tuple[str, KeyInfo]:
    """Create an API key for ``tenant`` (created if new).

    Parameters
    ----------
    store : Store
        The run store.
    tenant : str
        Tenant name, 1-128 printable characters.
    pepper : str
        Server-side secret of the key hash.

    Returns
    -------
    (str, KeyInfo)
        The key in clear (show it once) and its stored metadata.

    Raises
    ------
    ValueError
        If ``tenant`` is empty, too long or not printable.
    """
    name = tenant.strip()
    if not name or len(name) > 128 or not name.isprintable():
        raise ValueError("tenant: must be 1-128 printable characters")
    key = generate_key()
    now = utcnow()
    with store.write() as s, s.begin():
        row = s.scalar(select(Tenant).where(Tenant.name == name))
        if row is None:
            row = Tenant(name=name, created_at=now)
            s.add(row)
            s.flush()
        api = ApiKey(
            tenant_id=row.id,
            key_hash=hash_key(key, pepper),
            prefix=key[:SHOWN_PREFIX_CHARS],
            created_at=now,
        )
        s.add(api)
        s.flush()
        info = KeyInfo(api.id, name, api.prefix, now, None)
    return key, info


def list_keys(store: Store) -> list[KeyInfo]:
    """Every key's metadata, oldest first."""
    with store.read() as s:
        rows = s.execute(
            select(ApiKey, Tenant.name)
            .join(Tenant, Tenant.id == ApiKey.tenant_id)
            .order_by(ApiKey.id)
        ).all()
        return [KeyInfo(k.id, name, k.prefix, k.created_at, k.revoked_at) for k, name in rows]


def revoke_key(store: Store, key_id: int) -> bool:
    """Revoke the key with this id; False if there is no such active key."""
    with store.write() as s, s.begin():
        res = s.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        return bool(getattr(res, "rowcount", 0))


class Authenticator:
    """Maps a presented key to its tenant id, with a short positive cache."""

    def __init__(self, store: Store, pepper: str, ttl_s: float = CACHE_TTL_S) -> None:
        self._store = store
        self._pepper = pepper
        self._ttl_s = ttl_s
        self._cache: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def well_formed(key: str) -> bool:
        """True if ``key`` looks like a key this service issues."""
        return key.startswith(KEY_PREFIX) and len(key) <= 200

    def cached(self, key: str) -> int | None:
        """Tenant id from the cache only (no database access), or None."""
        if not self.well_formed(key):
            return None
        digest = hash_key(key, self._pepper)
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        return None

    def tenant_of(self, key: str) -> int | None:
        """Tenant id of an active key, or None (unknown, revoked, malformed)."""
        if not self.well_formed(key):
            return None
        hit = self.cached(key)
        if hit is not None:
            return hit
        digest = hash_key(key, self._pepper)
        now = time.monotonic()
        with self._store.read() as s:
            tenant_id = s.scalar(
                select(ApiKey.tenant_id).where(
                    ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None)
                )
            )
        if tenant_id is None:
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (int(tenant_id), now + self._ttl_s)
        return int(tenant_id)
