"""Settings of the HTTP service, read from ``OPPORTUNE_*`` environment variables.

Every setting has a default, so ``opportune serve`` works with no configuration: a
SQLite file ``./opportune.db`` next to where the server starts, two worker processes,
loopback only.  The same variables configure ``opportune keys`` (it must see the same
``OPPORTUNE_DATABASE_URL`` and ``OPPORTUNE_API_KEY_PEPPER`` as the server).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./opportune.db"


def physical_memory_mb() -> int:
    """Physical memory of this machine (or its cgroup's limit when lower), MiB."""
    total = 4096
    with contextlib.suppress(ValueError, OSError, AttributeError):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    with contextlib.suppress(ValueError, OSError):
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, int(limit) // 2**20)
    return int(total)


class ServiceSettings(BaseSettings):
    """Service configuration (environment variables ``OPPORTUNE_<NAME>``).

    Durations are in seconds (``_s``), sizes in bytes (``_bytes``).
    """

    model_config = SettingsConfigDict(
        env_prefix="OPPORTUNE_", extra="ignore", frozen=True, validate_default=True
    )

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description=(
            "SQLAlchemy URL of the run store: sqlite:///path.db (WAL mode) or "
            "postgresql+psycopg://user:pass@host:5432/db (postgresql:// is accepted too)."
        ),
    )
    api_key_pepper: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "Server-side secret mixed into API-key hashes (HMAC-SHA256). Keep it out of the "
            "database; changing it invalidates every key."
        ),
    )
    workers: int = Field(
        default=2, ge=0, le=64, description="Solver worker processes (0: accept runs only)."
    )
    worker_memory_mb: int | None = Field(
        default=None,
        ge=32,
        description=(
            "Memory cap of each run's solver process, MiB of resident memory (checked four "
            "times a second; a run over it is stopped and failed with problem "
            "memory-limit-exceeded). Default: 80% of the machine's memory shared among "
            "the workers."
        ),
    )
    oom_retries: int = Field(
        default=0,
        ge=0,
        le=10,
        description=(
            "Times a run whose solver process the operating system killed (out of "
            "memory) is queued again; 0: it fails at once with failure out-of-memory."
        ),
    )
    worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="Niceness added to worker processes so the API stays responsive.",
    )
    max_request_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest accepted request body."
    )
    validate_processes: int = Field(
        default=2,
        ge=0,
        le=32,
        description=(
            "Processes that parse and validate large request bodies (over 16 KiB), so the "
            "web process keeps answering meanwhile; 0: a thread of the web process."
        ),
    )
    validate_timeout_s: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description=(
            "Longest time a request body may take to validate; longer: 422 "
            "input-too-complex (its validation process is stopped)."
        ),
    )
    max_queued_per_tenant: int = Field(
        default=100, ge=1, description="Queued runs a tenant may have before 429."
    )
    max_queued_total: int = Field(
        default=2000, ge=1, description="Queued runs over all tenants before 503."
    )
    max_time_limit_s: float = Field(
        default=600.0, gt=0, description="Largest solver time limit a request may ask for."
    )
    run_grace_s: float = Field(
        default=120.0,
        gt=0,
        description=(
            "A run still busy this long after its time limit is stopped and marked failed "
            "(protects against a backend that ignores its time limit)."
        ),
    )
    lease_s: float = Field(
        default=15.0,
        gt=1,
        description=(
            "A running run's lease, renewed every second by its worker. A run whose lease "
            "ran out (its worker or server died elsewhere) is queued again; on the same host "
            "a dead worker is noticed at once."
        ),
    )
    max_attempts: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Attempts a run gets when workers die under it; then it is failed.",
    )
    shutdown_grace_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description=(
            "On shutdown, a busy worker gets this long to finish its run; then the run is "
            "stopped and queued again (that attempt is not counted)."
        ),
    )
    poll_interval_s: float = Field(
        default=0.1, gt=0, le=10, description="How often an idle worker looks for queued runs."
    )
    retry_after_s: int = Field(
        default=5, ge=1, description="Retry-After sent with 429 and 503 answers."
    )
    max_wait_s: float = Field(
        default=60.0, ge=0, description="Longest long-poll (?wait_s=) a request may ask for."
    )
    events_max_s: float = Field(
        default=3600.0, gt=0, description="Longest life of one server-sent-events stream."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins allowed by CORS, comma-separated; empty (default): no CORS.",
    )
    strategy_max_replications: int = Field(
        default=2000, ge=1, description="Largest replications a strategy run may ask for."
    )
    dask_address: str | None = Field(
        default=None,
        description=(
            "Address of a Dask scheduler (tcp://host:8786): strategy runs simulate their "
            "replications on that cluster instead of in the worker's own process."
        ),
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        default="info", description="Log level of the server and its workers."
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _normalize_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("database_url must not be empty")
        # psycopg 3 is the driver we ship; plain postgresql:// would pick psycopg2.
        for prefix in ("postgresql://", "postgres://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @property
    def memory_cap_mb(self) -> int:
        """``worker_memory_mb``, or its default: 80% of physical memory over the workers."""
        if self.worker_memory_mb is not None:
            return self.worker_memory_mb
        return max(256, int(0.8 * physical_memory_mb() / max(1, self.workers)))

    @property
    def is_sqlite(self) -> bool:
        """True when the run store is a SQLite database."""
        return self.database_url.startswith("sqlite")
