"""The one place bgtasks reads its environment.

Every setting has the prefix ``BGTASKS_`` except ``DAGSTER_HOME``, which Dagster itself reads too.
Settings are resolved when asked for (``get_settings()``), never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one bgtasks installation."""

    model_config = SettingsConfigDict(env_prefix="BGTASKS_", extra="ignore")

    dagster_home: Path = Field(
        default=Path("var"),
        validation_alias=AliasChoices("DAGSTER_HOME", "BGTASKS_DAGSTER_HOME"),
        description="Dagster's instance directory: dagster.yaml and, on SQLite, all stored state.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the registry. Default: the PostgreSQL database of dagster.yaml's "
        "dagster-postgres storage, else sqlite:///$DAGSTER_HOME/bgtasks.db.",
    )
    runs_dir: Path | None = Field(
        default=None,
        description="Where each run keeps its output files and full log. Default: $DAGSTER_HOME/runs.",
    )
    upload_dir: Path | None = Field(
        default=None,
        description="Where image archives are streamed before loading. Default: $DAGSTER_HOME/uploads.",
    )
    docker_host: str | None = Field(
        default=None,
        description="Docker Engine URL. Default: the Docker SDK's own (DOCKER_HOST or the local socket).",
    )
    upload_max_bytes: int = Field(default=4 * 1024**3, description="Largest image archive accepted.")
    output_max_bytes: int = Field(default=1024**3, description="Largest total of output files kept per run.")
    stop_grace_seconds: int = Field(
        default=10, description="Seconds a terminated task gets between SIGTERM and SIGKILL."
    )
    log_lines_in_event_log: int = Field(
        default=5000,
        description="Container log lines sent to Dagster's event log per run; all go to the stdout log.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web UI and API listen on.")
    port: int = Field(default=3000, description="Port the web UI and API listen on.")
    worker_socket: Path | None = Field(
        default=None, description="Unix socket of the warm run worker. Default: $DAGSTER_HOME/worker.sock."
    )

    # Identities and the permission layer (docs/security.md).
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs run identities and internal headers. Default: a random key kept in "
        "$DAGSTER_HOME/.bgtasks-secret (mode 0600), made on first use. Every process of one "
        "installation (server, daemon, CLI, run workers) must see the same key.",
    )
    session_hours: float = Field(default=12.0, description="Lifetime of a browser login session.")
    cookie_secure: bool | None = Field(
        default=None,
        description="Send the session cookie only over HTTPS. Default: when the request came over HTTPS.",
    )
    trusted_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins (scheme://host:port) a browser may send state-changing requests from, "
        "e.g. the public URL behind a proxy. The server's own origin is always trusted.",
    )

    # Source catalog and prebuilt public-data fetchers (docs/prebuilt.md).
    catalog_root: str | None = Field(
        default=None,
        description="Where Sources and their versions are stored: a local directory, a file:// URI, or any "
        "pyarrow/fsspec filesystem URI (s3://bucket/prefix, gs://..., memory://...). "
        "Default: $DAGSTER_HOME/catalog.",
    )
    prebuilt_work_dir: Path | None = Field(
        default=None,
        description="Scratch space for downloads before they are parsed. Default: the system temp dir.",
    )
    prebuilt_user_agent: str = Field(
        default="bgtasks-prebuilt/0.1 (public-data fetcher; https://github.com/bgtasks/bgtasks)",
        description="User-Agent header sent by every prebuilt fetcher.",
    )
    prebuilt_connect_timeout: float = Field(
        default=10.0, description="Seconds to wait for a TCP/TLS connection."
    )
    prebuilt_read_timeout: float = Field(
        default=60.0, description="Seconds to wait between bytes of a response."
    )
    prebuilt_max_attempts: int = Field(
        default=5, description="Tries per request on 429, 5xx and network errors."
    )
    prebuilt_backoff_seconds: float = Field(
        default=2.0, description="First wait between tries when no Retry-After is sent; doubles each try."
    )
    prebuilt_max_retry_after_seconds: float = Field(
        default=600.0, description="Longest Retry-After the fetchers honour; a longer one fails the run."
    )
    prebuilt_row_change_warn_fraction: float = Field(
        default=0.25, description="Row-count change against the previous version above which a check warns."
    )
    fdic_base_url: str | None = Field(
        default=None, description="BankFind API base. Default: https://api.fdic.gov."
    )
    fdic_api_key: SecretStr | None = Field(
        default=None, description="Optional api.data.gov key for BankFind."
    )
    fdic_page_size: int = Field(
        default=10_000, description="Records per BankFind page (the API allows 10,000)."
    )
    ecb_base_url: str | None = Field(
        default=None, description="ECB site base. Default: https://www.ecb.europa.eu."
    )
    nccs_catalog_base_url: str | None = Field(
        default=None, description="NCCS catalog site base. Default: https://nccs.urban.org."
    )
    nccs_data_base_url: str | None = Field(
        default=None,
        description="NCCS data bucket base. Default: https://nccsdata.s3.us-east-1.amazonaws.com.",
    )
    nccs_year: int | None = Field(
        default=None, description="Pin the NCCS tax year instead of taking the newest."
    )
    iapd_base_url: str | None = Field(
        default=None,
        description="IAPD compilation-reports host. Default: https://reports.adviserinfo.sec.gov.",
    )
    cftc_base_url: str | None = Field(
        default=None, description="CFTC site base. Default: https://www.cftc.gov."
    )

    @property
    def home(self) -> Path:
        return self.dagster_home.resolve()

    @property
    def runs_root(self) -> Path:
        return (self.runs_dir or self.home / "runs").resolve()

    @property
    def uploads_root(self) -> Path:
        return (self.upload_dir or self.home / "uploads").resolve()

    @property
    def worker_socket_path(self) -> Path:
        return (self.worker_socket or self.home / "worker.sock").resolve()

    @property
    def catalog_uri(self) -> str:
        return self.catalog_root or str(self.home / "catalog")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read from the environment on first use."""
    return Settings()
