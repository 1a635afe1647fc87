"""Run store: SQLAlchemy 2 models and engine (SQLite in WAL mode, or PostgreSQL).

Tables
------
``tenants``      one row per customer (CMMS installation).
``api_keys``     HMAC-SHA256 hashes of API keys (the key itself is never stored).
``runs``         every accepted run: kind, status, configuration, input, result,
                 lease of the worker running it, idempotency key.
``run_events``   status changes of each run, in order (server-sent events replay them).
``run_artifacts`` files a run produced (a strategy run's HTML report), gzip-compressed.

Instants are stored in UTC and always returned timezone-aware.

SQLite notes: every connection uses WAL journaling (readers never block the writer),
``synchronous=NORMAL`` and a busy timeout; write transactions begin with
``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing with
"database is locked" when a read transaction tries to upgrade.
"""

from __future__ import annotations

import errno
import threading
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 30_000
DISK_FULL_SQLSTATE = "53100"
"""PostgreSQL's ``disk_full`` error code."""
_FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")


def storage_full(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) says the store's disk is full.

    Recognises ``OSError`` ENOSPC / EDQUOT, SQLite's ``SQLITE_FULL`` ("database or disk
    is full") and PostgreSQL's ``disk_full`` (SQLSTATE 53100), through SQLAlchemy's
    wrapping (``.orig``) and exception chaining.
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(e, "sqlstate", None) == DISK_FULL_SQLSTATE:
            return True
        if any(t in str(e).lower() for t in _FULL_TEXTS):
            return True
        orig = getattr(e, "orig", None)
        todo.extend([orig if isinstance(orig, BaseException) else None, e.__cause__, e.__context__])
    return False


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and read back timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware instants only")
        out = value.astimezone(UTC)
        return out.replace(tzinfo=None) if dialect.name == "sqlite" else out

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class Tenant(Base):
    """A customer; every run and key belongs to exactly one tenant."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiKey(Base):
    """An API key, stored as its keyed hash only."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Run(Base):
    """An accepted run (a schedule or a strategy comparison) and its outcome."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "idempotency_key", name="uq_runs_idempotency"),
        Index("ix_runs_status_created", "status", "created_at"),
        # covers the queue-limit counts of every submission (queued runs per tenant):
        # an index-only range scan instead of a table read per queued run
        Index("ix_runs_status_tenant", "status", "tenant_id"),
        Index("ix_runs_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    config_json: Mapped[str] = mapped_column(Text)
    input_json: Mapped[str] = mapped_column(Text, deferred=True)
    base_run_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    request_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    accepted_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    time_limit_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)
    problem_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    objective: Mapped[float | None] = mapped_column(Float, nullable=True)
    lower_bound: Mapped[float | None] = mapped_column(Float, nullable=True)
    gap: Mapped[float | None] = mapped_column(Float, nullable=True)
    run_s: Mapped[float | None] = mapped_column(Float, nullable=True)


class RunEvent(Base):
    """A status change of a run (the ``id`` orders events and is the SSE event id)."""

    __tablename__ = "run_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class RunArtifact(Base):
    """A file a run produced (the HTML report of a strategy run), gzip-compressed."""

    __tablename__ = "run_artifacts"
    __table_args__ = (UniqueConstraint("run_id", "name", name="uq_artifacts_run_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(64))
    content_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _sqlite_path(url: str) -> Path | None:
    db = make_url(url).database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine of the run store.

    Parameters
    ----------
    database_url : str
        SQLAlchemy URL (``sqlite:///file.db`` or ``postgresql+psycopg://...``).
    pool_size : int
        Connections kept open (PostgreSQL).

    Returns
    -------
    Engine
        With SQLite pragmas and ``BEGIN IMMEDIATE`` support installed.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(database_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=2 * pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
            # transaction handling would begin lazily and too late).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size, pool_pre_ping=True)


def init_db(engine: Engine) -> None:
    """Create missing tables and indexes (idempotent; there are no migrations yet).

    ``create_all`` skips the indexes of tables that already exist, so an index added
    in a later version is created here on an existing database.
    """
    Base.metadata.create_all(engine)
    for table in Base.metadata.sorted_tables:
        for index in table.indexes:
            index.create(engine, checkfirst=True)


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer ``SELECT 1``."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


class Store:
    """Engine plus two session factories: reads (deferred) and writes (immediate).

    On PostgreSQL both factories are the same: row locks and ``SKIP LOCKED`` do the
    work that ``BEGIN IMMEDIATE`` does on SQLite.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.read = sessionmaker(engine, expire_on_commit=False)
        writer = (
            engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.dialect == "sqlite"
            else engine
        )
        self._write = sessionmaker(writer, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process queue on a lock
        # (fair, no sleeping) instead of on SQLite's busy handler, whose back-off sleeps
        # of up to 100 ms would dominate the latency of concurrent requests.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if self.dialect == "sqlite" else nullcontext()
        )
        self.full = False
        """True since a write failed for want of disk space, until a write succeeds."""

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one write transaction (use ``with store.write() as s, s.begin()``).

        Keeps :attr:`full` up to date: set when the transaction fails because the disk
        is full (:func:`storage_full`), cleared when one commits.
        """
        try:
            with self._write_lock, self._write() as session:
                yield session
        except Exception as exc:
            if storage_full(exc):
                self.full = True
            raise
        self.full = False

    def probe_write(self) -> bool:
        """Commit a throw-away write (a row added and deleted); False if the disk is full.

        Other errors (the database is down) propagate.
        """
        name = f"~probe-{uuid.uuid4().hex}"
        try:
            with self.write() as s, s.begin():
                s.add(Tenant(name=name, created_at=utcnow()))
                s.flush()
                s.execute(text("DELETE FROM tenants WHERE name = :n"), {"n": name})
        except Exception as exc:
            if storage_full(exc):
                return False
            raise
        return True

    @classmethod
    def from_url(cls, database_url: str, *, pool_size: int = 10) -> Store:
        """Engine for ``database_url`` with tables created."""
        engine = make_engine(database_url, pool_size=pool_size)
        init_db(engine)
        return cls(engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
