"""Settings: one class, read from the environment (``ENCOURS_*``) and ``.env``."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where encours keeps its data and models, and how it serves them."""

    model_config = SettingsConfigDict(env_prefix="ENCOURS_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///encours.db",
        description="SQLAlchemy URL of the ledger database; PostgreSQL in production, "
        "e.g. postgresql+psycopg://user@host/db",
    )
    db_lock_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        description="longest a statement waits for a lock another program holds on the "
        "database (SQLite busy timeout, PostgreSQL lock_timeout) or for a free connection; "
        "then the API answers 503 with Retry-After and a command says the database is busy",
    )
    db_statement_timeout_seconds: float = Field(
        default=0.0,
        ge=0,
        description="PostgreSQL statement_timeout: longest any one statement may run; "
        "0 means no limit (a large import or ledger read may take minutes)",
    )
    db_retry_after_seconds: int = Field(
        default=5,
        ge=1,
        description="the Retry-After, in seconds, of the 503 answered while the database "
        "is busy or unreachable",
    )
    models_dir: Path = Field(default=Path("models"), description="local MLflow store")
    mlflow_uri: str = Field(
        default="",
        description="MLflow tracking and registry URI; empty means SQLite under models_dir",
    )
    host: str = Field(default="127.0.0.1", description="address the API listens on")
    port: int = Field(default=8000, description="port the API listens on")
    ledger_refresh_seconds: float = Field(
        default=30.0,
        description="the API rereads the ledger in the background when its copy is older "
        "than this, serving the old copy meanwhile; 0 rereads it at every request",
    )
    api_key_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        description="the API remembers a checked API key this long before asking the "
        "database again, so a key revoked from the command line stops working within this "
        "delay; 0 checks the database at every request",
    )
    auth_failures_per_minute: int = Field(
        default=30,
        ge=0,
        description="API keys one client address may try in a moving minute that are not "
        "known good (wrong ones: no such key, revoked, expired; and a key's first use); "
        "beyond, the API answers 429 with Retry-After without asking the database, while "
        "keys that worked within the hour still pass; 0 sets no limit. Behind a reverse "
        "proxy the address is the proxy's unless uvicorn trusts its X-Forwarded-For "
        "(FORWARDED_ALLOW_IPS)",
    )
    max_batch: int = Field(default=10_000, description="largest batch of invoices per request")
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="largest request body the API reads, in bytes; a larger one is answered "
        "413 before it is read (or as soon as a streamed one goes past it). The largest "
        "batch, 10,000 invoices (max_batch), weighs 2.4 MB as JSON with two x_ columns, "
        "3.2 MB indented, 9.4 MB with 64-character ids and ten 50-character x_ columns: "
        "16 MiB lets such batches through and keeps a stranger from making the server read "
        "much more",
    )
    scenarios_file: Path | None = Field(
        default=None,
        description="YAML file of the relance scenarios (profiles and steps); empty means "
        "the packaged serving/scenarios.yaml",
    )
    ecb_rate_percent: Decimal = Field(
        default=Decimal("2.15"),
        ge=0,
        description="ECB main refinancing rate in force on 1 January or 1 July, in percent: "
        "update it each half-year (2.15 from 11 June 2025)",
    )
    penalty_margin_points: Decimal = Field(
        default=Decimal("10"),
        ge=0,
        description="points added to the ECB rate for late-payment penalties between "
        "businesses (Code de commerce L441-10: 10 unless the terms say otherwise)",
    )
    public_penalty_margin_points: Decimal = Field(
        default=Decimal("8"),
        ge=0,
        description="points added to the ECB rate for public buyers' intérêts moratoires "
        "(Code de la commande publique R2192-31: 8)",
    )

    @property
    def tracking_uri(self) -> str:
        """The MLflow URI in force: the setting, or SQLite under ``models_dir``."""
        if self.mlflow_uri:
            return self.mlflow_uri
        return f"sqlite:///{self.models_dir.resolve() / 'mlflow.db'}"

    @property
    def artifacts_uri(self) -> str:
        """Where MLflow stores artifacts for new experiments in the local store."""
        return (self.models_dir.resolve() / "artifacts").as_uri()


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
