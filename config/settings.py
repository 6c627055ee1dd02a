"""Settings: one class, read from the environment (``ENCOURS_*``) and ``.env``.

A name with the prefix that is no setting (a typo such as ``ENCOURS_DATABSE_URL``, which
would silently leave the SQLite default in force) is logged as a warning naming the closest
setting, each time settings are built (once per process: see :func:`get_settings`).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from config.language import Language
from config.legal import ECB_RATE_PERCENT, PENALTY_MARGIN_POINTS, PUBLIC_PENALTY_MARGIN_POINTS

ENV_PREFIX = "ENCOURS_"
OTHER_KNOWN_NAMES = frozenset(
    {
        "ENCOURS_TEST_DATABASE_URL",  # the PostgreSQL tests' database (README, tests/conftest.py)
        "ENCOURS_NB_CLIENTS",  # size of the notebooks' simulated ledger (notebooks/README.md)
        "ENCOURS_NB_MONTHS",
    }
)
"""``ENCOURS_*`` names read by the tests and notebooks, not settings: no warning for them."""

logger = logging.getLogger("encours.config")


class Settings(BaseSettings):
    """Where encours keeps its data and models, and how it serves them."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

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
    kpis_in_database: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="where `encours kpis` computes the KPIs and the balance âgée: in the "
        "database with SQL (always), over the ledger loaded into memory (never), or in the "
        "database when it is PostgreSQL (auto); the figures are the same",
    )
    models_dir: Path = Field(default=Path("models"), description="local MLflow store")
    mlflow_uri: str = Field(
        default="",
        description="MLflow tracking and registry URI; empty means SQLite under models_dir",
    )
    snapshot_dir: Path | None = Field(
        default=None,
        description="folder where the API keeps its ledger snapshot, one file per ledger "
        "version (the latest two kept), which a server starting on that version reads in "
        "about a second instead of reading the database and fitting the features (~1 min "
        "for a million invoices), and which its worker processes share; empty means "
        "<models_dir>/snapshots",
    )
    host: str = Field(default="127.0.0.1", description="address the API listens on")
    port: int = Field(default=8000, description="port the API listens on")
    workers: int = Field(
        default=1,
        ge=1,
        description="API worker processes `encours serve` starts (each loads the ledger and "
        "the models: memory grows with them); above 1 the Prometheus metrics are counted "
        "across workers in PROMETHEUS_MULTIPROC_DIR (a temporary folder unless set)",
    )
    lang: Language = Field(
        default="fr",
        description="language of what the commands print for people (tables, titles, "
        "sentences): fr (1 234,56 ; 12 % ; 07/12/2026) or en (1,234.56; 12%; 2026-12-07); "
        "--json output, --help texts and error messages stay in English",
    )
    log_format: Literal["text", "json"] = Field(
        default="text",
        description="the API's log lines: text for a terminal, json (one object per line: "
        "time, level, logger, message, request_id, process) for a log collector",
    )
    ledger_refresh_seconds: float = Field(
        default=30.0,
        description="the API rereads the ledger in the background when its copy is older "
        "than this, serving the old copy meanwhile; 0 rereads it at every request",
    )
    warm_pages: bool = Field(
        default=True,
        description="the API computes the pages' opening figures (trends, worklist, forecast "
        "and its backtest, monitoring) in the background as soon as a ledger snapshot comes "
        "in, so that the first page finds them made; off, each is computed at its first ask",
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
    session_secret: SecretStr = Field(
        default=SecretStr(""),
        description="key that signs the pages' session cookies; empty means a random one "
        "per server run (`encours serve` shares it with its workers): sessions then end when "
        "the server restarts. Set it (e.g. `python -c 'import secrets; "
        "print(secrets.token_urlsafe(32))'`) to keep them across restarts and servers",
    )
    session_hours: float = Field(
        default=10.0,
        gt=0,
        description="how long a page session lasts after signing in, in hours",
    )
    scenarios_file: Path | None = Field(
        default=None,
        description="YAML file of the relance scenarios (profiles and steps); empty means "
        "the packaged serving/scenarios.yaml",
    )
    uplift_file: Path | None = Field(
        default=None,
        description="JSON table of each relance action's estimated effect by profile "
        "(training.uplift.UpliftTable); with it the worklist names the action of highest "
        "expected gain per collector minute; empty means none is named",
    )
    ecb_rate_percent: Decimal = Field(
        default=ECB_RATE_PERCENT,
        ge=0,
        description="ECB main refinancing rate in force on 1 January or 1 July, in percent: "
        f"update it each half-year ({ECB_RATE_PERCENT} by default, see config/legal.py)",
    )
    penalty_margin_points: Decimal = Field(
        default=PENALTY_MARGIN_POINTS,
        ge=0,
        description="points added to the ECB rate for late-payment penalties between "
        f"businesses (Code de commerce L441-10: {PENALTY_MARGIN_POINTS} unless the terms say "
        "otherwise)",
    )
    public_penalty_margin_points: Decimal = Field(
        default=PUBLIC_PENALTY_MARGIN_POINTS,
        ge=0,
        description="points added to the ECB rate for public buyers' intérêts moratoires "
        f"(Code de la commande publique R2192-31: {PUBLIC_PENALTY_MARGIN_POINTS})",
    )
    monitor_psi_alert: float = Field(
        default=0.25,
        gt=0,
        description="population stability index (PSI) of the score or of a feature, between "
        "the champion's training window and the last 30 or 90 days, above which `encours "
        "monitor` raises an alert (the trade's reading: under 0.1 stable, over 0.25 shifted)",
    )
    monitor_unseen_share_alert: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="share of the last 30 days' invoices from clients the champion never saw "
        "(no invoice before its training cut-off) above which an alert is raised",
    )
    monitor_calibration_alert: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="gap between the late share and the mean late probability of the scores "
        "whose outcome came in the last 30 days (overall, or for one sector) above which an "
        "alert is raised",
    )
    monitor_auc_alert: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="ROC AUC of the scores whose outcome came in the last 30 days below which "
        "an alert is raised",
    )
    monitor_min_rows: int = Field(
        default=50,
        ge=1,
        description="fewest invoices a window, a sector or a month must hold for its figures "
        "to raise an alert (fewer are reported, too noisy to alert on)",
    )

    letters_dir: Path | None = Field(
        default=None,
        description="folder of your own relance letter templates (Jinja2, Markdown): a file "
        "named like a packaged one (preventive_reminder.md.j2, email.md.j2, letter.md.j2, "
        "formal_notice.md.j2, _invoices.md.j2, _header.md.j2) replaces it; empty means the "
        "packaged serving/letter_templates",
    )
    letters_sender: str = Field(
        default="",
        description="the sender block printed at the top of each letter: your company's name "
        "and address, one line per line (\\n between lines in the environment)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The default sources, in pydantic-settings' order, once their names are checked."""
        known = OTHER_KNOWN_NAMES | {f"{ENV_PREFIX}{name}".upper() for name in cls.model_fields}
        if isinstance(env_settings, EnvSettingsSource):
            _warn_unknown(env_settings.env_vars, known, "in the environment")
        if isinstance(dotenv_settings, DotEnvSettingsSource):
            _warn_unknown(dotenv_settings.env_vars, known, f"in {dotenv_settings.env_file}")
        return init_settings, env_settings, dotenv_settings, file_secret_settings

    @property
    def tracking_uri(self) -> str:
        """The MLflow URI in force: the setting, or SQLite under ``models_dir``."""
        if self.mlflow_uri:
            return self.mlflow_uri
        return f"sqlite:///{self.models_dir.resolve() / 'mlflow.db'}"

    @property
    def snapshot_folder(self) -> Path:
        """Where the API's ledger snapshot files go: the setting, or under ``models_dir``."""
        return self.snapshot_dir if self.snapshot_dir is not None else self.models_dir / "snapshots"

    @property
    def artifacts_uri(self) -> str:
        """Where MLflow stores artifacts for new experiments in the local store."""
        return (self.models_dir.resolve() / "artifacts").as_uri()


def unknown_names(names: Iterable[str], known: frozenset[str]) -> dict[str, str | None]:
    """Each ``ENCOURS_*`` name of ``names`` not in ``known``, with the closest known name.

    Names are compared in capitals, as pydantic-settings reads them regardless of case.
    """
    suffixes = {name.removeprefix(ENV_PREFIX): name for name in known}
    found: dict[str, str | None] = {}
    for name in sorted({n.upper() for n in names if n.upper().startswith(ENV_PREFIX)}):
        if name not in known:
            # Compared without the prefix, which every name shares and would make all alike.
            closest = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), suffixes, n=1)
            found[name] = suffixes[closest[0]] if closest else None
    return found


def _warn_unknown(names: Iterable[str], known: frozenset[str], where: str) -> None:
    """Log one warning line per unknown ``ENCOURS_*`` name, naming the setting meant."""
    for name, closest in unknown_names(names, known).items():
        hint = f"did you mean {closest}?" if closest else "the README lists the settings"
        logger.warning("unknown setting %s %s is ignored: %s", name, where, hint)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
