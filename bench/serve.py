"""Benchmark serving: scores, worklist and forecast in process, the score endpoint over HTTP.

Run: ``.venv/bin/python bench/serve.py [--invoices N] [--seed S] [--duration SECONDS]``
(needs ``wrk``: ``apt-get install wrk``). Simulates a ledger of about N invoices (20,000
clients over 24 months per million; about 8.5 % of the invoices are open on the ledger's
last day, the ``as_of`` of every figure), saves it into a SQLite database, fits the three
models as ``encours train`` does (``training.models.fit_models`` on the out-of-time split,
production hyperparameters) and registers them as champions in an MLflow store, all in a
temporary folder (``--store DIR`` keeps it for the next run) and none of it timed. Then:

- in process, on the ledger snapshot the app holds, the functions its routes call: every
  open invoice scored (``full_scores``: late probability, buckets and payment dates, as
  ``POST /v1/invoices/score?reasons=false``) plus the whole worklist (``build_worklist``,
  no limit), target under 15 s together; the forecast (``forecast_cash`` with the route's
  defaults: 13 weeks, weekly, EUR), target under 10 s; best of ``--repeat`` runs;
- the models' sizes, and what reasons (TreeSHAP) cost one invoice;
- over HTTP on 127.0.0.1: the app (``serving.api.app.create_app``) in ``--workers`` uvicorn
  processes sharing a port (SO_REUSEPORT), and beside it, alike, a bare FastAPI app whose
  one route echoes the JSON body; ``wrk`` (2 threads) loads them for ``--duration`` seconds
  each after a warm-up: one stored open invoice scored with reasons by 4 clients, target
  p99 under 25 ms, and without reasons for comparison; then without reasons and the echo
  at 16 keep-alive connections, alternated, target a throughput ratio of at least 0.5.
  The run fails if any answer is not a 2xx.

The app rereads the ledger in the background when its copy is older than
``ENCOURS_LEDGER_REFRESH_SECONDS`` (30 s by default), serving the old copy meanwhile; the
benchmark sets a day, so that it measures scoring alone, and prints what one reread
costs. The last line is machine-readable: ``score_all_s=<float> forecast_s=<float>
p99_ms=<float> rps_score=<float> rps_echo=<float> ratio=<float>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from fastapi import FastAPI

    from encours.settings import Settings
    from ledger.contract import Ledger
    from serving.ledger_source import Snapshot
    from serving.scoring import LoadedModel

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the encours command sets it
# Run as a script, this file's folder heads sys.path and its files shadow the project's
# packages (``features``): drop it, and import the project inside the functions.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

CLIENTS_PER_MILLION = 20_000
MONTHS = 24
TARGET_SCORE_ALL_S = 15.0
TARGET_FORECAST_S = 10.0
TARGET_P99_MS = 25.0
TARGET_RATIO = 0.5
REFRESH_SECONDS = 86_400.0
"""The app's ledger refresh during the benchmark: longer than any run."""
SCORE_PATH = "/v1/invoices/score"
ROUNDS = 2
"""The score and echo runs at 16 connections alternate this many times each."""
ONE_INVOICE_REPS = 200
SHAP_ROWS = 2_000
STORE_FILE = "bench.json"


def clients_for(invoices: int) -> int:
    """Clients that give about ``invoices`` invoices over :data:`MONTHS` months."""
    return max(20, round(CLIENTS_PER_MILLION * invoices / 1_000_000))


def verdict(ok: bool) -> str:
    """A mark for a target met or missed."""
    return "ok" if ok else "MISSED"


def open_invoices(ledger: Ledger, as_of: dt.date) -> pd.DataFrame:
    """Invoices with an amount open at the end of ``as_of`` (not written off), any currency."""
    from ledger.kpis import open_amounts

    docs = open_amounts(ledger, as_of)
    keep = (
        (docs["doc_type"] == "invoice")
        & (docs["open_cents"] > 0)
        & ~docs["written_off"].astype(bool)
    )
    return ledger.invoices.loc[docs.index[keep]]


def timed(work: Callable[[], object]) -> tuple[float, Any]:
    """Seconds ``work`` takes, and what it returns."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


# --- the store: ledger database and registered models, not timed -------------------------


def register(name: str, model: object) -> str:
    """Log ``model`` as a new version of ``name``, make it the champion; returns the version.

    Lean, as the serving tests do: no signature, no inferred requirements, no plots.
    """
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    from training.tracking import CHAMPION, quiet_mlflow

    with quiet_mlflow(), mlflow.start_run(run_name=name):
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            serialization_format="cloudpickle",
            registered_model_name=name,
            pip_requirements=[],
        )
    version = str(info.registered_model_version)
    MlflowClient().set_registered_model_alias(name, CHAMPION, version)
    return version


def late_accuracy(model: Any, split: Any) -> tuple[float, float, int]:
    """ROC AUC and Brier score of the late-payment model on the out-of-time test, and rows."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from training.late_choice import late_probability
    from training.targets import late_outcome

    y = late_outcome(split.test, split.end)
    known = y.notna().to_numpy()
    p = late_probability(model, split.x_test[known], split.test["client_id"][known])
    return float(roc_auc_score(y[known], p)), float(brier_score_loss(y[known], p)), int(known.sum())


def build_store(settings: Settings, invoices: int, seed: int) -> None:
    """Simulate, save the ledger, fit and register the three models (nothing timed)."""
    from ledger.storage import load_ledger, make_engine, migrate, save_ledger
    from simulator import SimulationConfig, simulate
    from training.dataset import ledger_end, out_of_time_split
    from training.models import LATE_MODEL, ONBOARDING_MODEL, TIME_MODEL, fit_models
    from training.tracking import use_store
    from training.train import default_cutoff

    clients = clients_for(invoices)
    seconds, sim = timed(
        lambda: simulate(SimulationConfig(n_clients=clients, n_months=MONTHS, seed=seed))
    )
    ledger = sim.ledger
    n_invoices = int((ledger.invoices["doc_type"] == "invoice").sum())
    print(
        f"simulated:    {n_invoices:,} invoices (+ {len(ledger.invoices) - n_invoices:,} "
        f"credit notes), {clients:,} clients over {MONTHS} months (seed {seed}) "
        f"in {seconds:.0f} s"
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    seconds, _ = timed(lambda: save_ledger(engine, ledger))
    print(f"saved:        into SQLite in {seconds:.0f} s")
    del sim, ledger
    ledger = load_ledger(engine)  # trained on what the database gives, as `encours train`
    engine.dispose()

    end = ledger_end(ledger)
    started = time.perf_counter()
    split = out_of_time_split(ledger, default_cutoff(end), end)
    models = fit_models(split)
    auc, brier, rows = late_accuracy(models.late, split)
    fit_s = time.perf_counter() - started
    use_store(settings.tracking_uri, settings.artifacts_uri)
    versions = {
        name: register(name, model)
        for name, model in (
            (LATE_MODEL, models.late),
            (TIME_MODEL, models.time),
            (ONBOARDING_MODEL, models.onboarding),
        )
    }
    print(
        f"trained:      {', '.join(f'{n} v{v}' for n, v in versions.items())} as `encours "
        f"train` fits them (production hyperparameters; the {len(split.train):,} invoices "
        f"before {split.cutoff.date()}; the late-payment model chosen: "
        f"{type(models.late).__name__}; the payment-time model a sample of "
        f"{models.time.max_invoices:,}) in {fit_s:.0f} s; "
        f"late-payment on the {rows:,} later invoices with a known outcome: ROC AUC "
        f"{auc:.3f}, Brier {brier:.4f}"
    )
    meta = {"invoices": invoices, "seed": seed, "auc": auc, "brier": brier}
    (settings.models_dir.parent / STORE_FILE).write_text(json.dumps(meta))


def open_store(folder: Path, invoices: int, seed: int) -> Settings:
    """Settings on the store in ``folder``, built there first unless it holds this one."""
    from encours.settings import Settings

    settings = Settings(
        database_url=f"sqlite:///{folder / 'ledger.db'}",
        models_dir=folder / "models",
        ledger_refresh_seconds=REFRESH_SECONDS,
    )
    meta_path = folder / STORE_FILE
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if (meta["invoices"], meta["seed"]) == (invoices, seed):
            print(
                f"store:        reused from {folder} (late-payment ROC AUC {meta['auc']:.3f}, "
                f"Brier {meta['brier']:.4f} out of time)"
            )
            return settings
        raise SystemExit(
            f"{folder} holds the store of --invoices {meta['invoices']} --seed {meta['seed']}: "
            "name another --store"
        )
    build_store(settings, invoices, seed)
    return settings


# --- in process -----------------------------------------------------------------------------


@dataclass
class InProcess:
    """What the in-process part measured, and the request the HTTP part sends."""

    score_s: float
    worklist_s: float
    forecast_s: float
    body: dict[str, Any]

    @property
    def score_all_s(self) -> float:
        """Every open invoice scored, then the whole worklist built: the first target."""
        return self.score_s + self.worklist_s


def describe_sizes(*models: LoadedModel) -> None:
    """Print the trees and leaves of each model's booster."""
    for loaded in models:
        booster = loaded.model.booster_
        params = booster.get_params()
        leaves = [tree["num_leaves"] for tree in booster.booster_.dump_model()["tree_info"]]
        print(
            f"model size:   {loaded.name} v{loaded.version}: {len(leaves)} trees "
            f"(n_estimators {params['n_estimators']}), {np.mean(leaves):.1f} leaves per tree "
            f"on average, {max(leaves)} at most (num_leaves {params['num_leaves']}, "
            f"max_depth {params['max_depth']})"
        )


def median_ms(work: Callable[[], object], reps: int = ONE_INVOICE_REPS) -> float:
    """Median milliseconds of ``work`` over ``reps`` calls, after a few unmeasured ones."""
    for _ in range(5):
        work()
    seconds = []
    for _ in range(reps):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return float(np.median(seconds) * 1000)


def reasons_cost(
    snapshot: Snapshot,
    late: LoadedModel,
    time_model: LoadedModel,
    invoices: pd.DataFrame,
    as_of: pd.Timestamp,
) -> None:
    """Print what reasons add to scoring the first of ``invoices``, and TreeSHAP per row.

    The per-row figures come from all of ``invoices`` at once, where the fixed cost of a
    call (LightGBM's conversion of the frame) no longer counts.
    """
    from serving.scoring import full_scores

    one = invoices.head(1)

    def scores(explain: bool) -> Callable[[], object]:
        return lambda: full_scores(snapshot.features, late, time_model, one, as_of, explain)

    with_ms, without_ms = median_ms(scores(True)), median_ms(scores(False))
    x = snapshot.features.transform(invoices, as_of).reindex(columns=late.feature_names)
    x1 = x.head(1)
    proba_ms, shap_ms = (
        median_ms(lambda: late.model.predict_proba(x1)),
        median_ms(lambda: late.model.contributions(x1)),
    )
    batch_proba_s, _ = timed(lambda: late.model.predict_proba(x))
    batch_shap_s, _ = timed(lambda: late.model.contributions(x))
    print(
        f"one invoice:  full_scores in process, median of {ONE_INVOICE_REPS} calls: "
        f"{with_ms:.2f} ms with reasons, {without_ms:.2f} ms without; the late-payment "
        f"model on that one row: predict_proba {proba_ms:.2f} ms, TreeSHAP contributions "
        f"{shap_ms:.2f} ms; on {len(x):,} rows at once, per row: predict_proba "
        f"{batch_proba_s / len(x) * 1e6:.0f} µs, TreeSHAP {batch_shap_s / len(x) * 1e6:.0f} µs"
    )


def request_body(invoice: pd.Series, as_of: dt.date) -> dict[str, Any]:
    """``POST /v1/invoices/score`` for one stored invoice, with its own x_* columns."""
    own = {
        name: str(invoice[name])
        for name in invoice.index
        if name.startswith("x_") and pd.notna(invoice[name])
    }
    return {
        "as_of": as_of.isoformat(),
        "invoices": [
            {
                "invoice_id": str(invoice["invoice_id"]),
                "client_id": str(invoice["client_id"]),
                "issue_date": invoice["issue_date"].date().isoformat(),
                "due_date": invoice["due_date"].date().isoformat(),
                "amount": f"{int(invoice['amount_cents']) / 100:.2f}",
                "currency": str(invoice["currency"]),
                "disputed": bool(invoice["disputed"]),
                "x": own,
            }
        ],
    }


def in_process(settings: Settings, seed: int, repeat: int) -> InProcess:
    """Time the scoring of every open invoice with the worklist, and the forecast."""
    from features.pipeline import FeatureBuilder
    from ledger.storage import load_ledger, make_engine
    from serving.champions import load_models
    from serving.forecast import forecast_cash
    from serving.ledger_source import Snapshot
    from serving.penalties import rates_from_settings
    from serving.scenarios import current_scenarios
    from serving.scoring import full_scores
    from serving.worklist import build_worklist
    from training.dataset import ledger_end
    from training.models import LATE_MODEL, TIME_MODEL

    # What LedgerSource does when its snapshot is missing (or, in the background, stale).
    engine = make_engine(settings.database_url)
    read_s, ledger = timed(lambda: load_ledger(engine))
    engine.dispose()
    fit_s, features = timed(lambda: FeatureBuilder().fit(ledger))
    snapshot = Snapshot(ledger, features)
    print(
        f"snapshot:     the app's copy of the ledger in {read_s + fit_s:.1f} s (load_ledger "
        f"{read_s:.1f} s, FeatureBuilder.fit {fit_s:.1f} s): the app takes it in its first "
        f"request, then again in the background after each "
        f"ENCOURS_LEDGER_REFRESH_SECONDS (30 s by default; {REFRESH_SECONDS:,.0f} s here)"
    )
    models = load_models(settings)
    late, time_model = models.get(LATE_MODEL), models.get(TIME_MODEL)
    if late is None or time_model is None:
        raise SystemExit("the store has no late-payment or payment-time champion")
    describe_sizes(late, time_model)

    as_of = (ledger_end(ledger) - pd.Timedelta(days=1)).date()
    stamp = pd.Timestamp(as_of)
    opened = open_invoices(ledger, as_of).reset_index(drop=True)
    n_invoices = int((ledger.invoices["doc_type"] == "invoice").sum())
    print(
        f"as_of:        {as_of}, the ledger's last day: {len(opened):,} open invoices "
        f"({len(opened) / n_invoices:.1%} of {n_invoices:,})"
    )
    scenarios = current_scenarios(settings.scenarios_file)
    rates = rates_from_settings(settings)

    def score_all() -> object:
        return full_scores(snapshot.features, late, time_model, opened, stamp, False)

    def worklist() -> Any:
        return build_worklist(
            ledger,
            snapshot.features,
            late.model,
            scenarios,
            as_of,
            time_model=time_model.model,
            rates=rates,
            limit=None,
        )

    def forecast() -> object:
        return forecast_cash(ledger, snapshot.features, time_model.model, as_of)

    runs: dict[str, list[float]] = {"score": [], "worklist": [], "forecast": []}
    rows = 0
    for _ in range(repeat):
        runs["score"].append(timed(score_all)[0])
        seconds, built = timed(worklist)
        runs["worklist"].append(seconds)
        rows = built.n_candidates
        runs["forecast"].append(timed(forecast)[0])
    best = {key: min(seconds) for key, seconds in runs.items()}
    measured = InProcess(best["score"], best["worklist"], best["forecast"], {})

    def each(key: str) -> str:
        return " / ".join(f"{seconds:.2f}" for seconds in runs[key])

    print(
        f"score all:    {len(opened):,} open invoices: p_late, buckets, payment dates "
        f"(no reasons) in {best['score']:.2f} s (runs: {each('score')} s)"
    )
    print(
        f"worklist:     {rows:,} rows (overdue or due within {scenarios.soon_due_days} days), "
        f"no limit, in {best['worklist']:.2f} s (runs: {each('worklist')} s)"
    )
    print(
        f"  together:   {measured.score_all_s:.2f} s   [target < {TARGET_SCORE_ALL_S:.0f} s: "
        f"{verdict(measured.score_all_s < TARGET_SCORE_ALL_S)}]"
    )
    print(
        f"forecast:     13 weeks, weekly, EUR (the route's defaults) in {best['forecast']:.2f} s "
        f"(runs: {each('forecast')} s)   [target < {TARGET_FORECAST_S:.0f} s: "
        f"{verdict(best['forecast'] < TARGET_FORECAST_S)}]"
    )

    # One open invoice picked at random is the request of the HTTP part; more for per-row
    # figures.
    picks = np.random.default_rng(seed).permutation(len(opened))[:SHAP_ROWS]
    sample = opened.iloc[picks].reset_index(drop=True)
    reasons_cost(snapshot, late, time_model, sample, stamp)
    measured.body = request_body(sample.iloc[0], as_of)
    return measured


# --- over HTTP ------------------------------------------------------------------------------


def encours_app() -> FastAPI:
    """The encours app on the settings of the environment: uvicorn's factory."""
    from encours.settings import Settings
    from serving.api.app import create_app

    return create_app(Settings())


def echo_app() -> FastAPI:
    """A bare FastAPI app whose one route answers the JSON body it is sent."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post(SCORE_PATH)
    def echo(body: dict[str, Any]) -> dict[str, Any]:
        # A plain def, FastAPI's everyday form (it runs in the thread pool). The score
        # route is a coroutine: it scores small batches on the event loop.
        return body

    return app


def serve(app: str, port: int) -> None:
    """Run ``app`` (``encours`` or ``echo``) under uvicorn, logging as ``encours serve`` does.

    One process per worker, each on its own socket bound with SO_REUSEPORT, so that the
    kernel spreads connections over the workers. ``uvicorn --workers`` shares one socket
    instead: the first worker to wake accepts every connection of a burst (wrk's, here),
    and its socket lacks TCP_NODELAY, which holds each keep-alive answer ~40 ms for the
    client's delayed ACK (Kludex/uvicorn#3149).
    """
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(f"__main__:{app}_app", factory=True, log_level="info")
    uvicorn.Server(config).run(sockets=[sock])


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """The uvicorn processes serving one of the apps on one port."""

    name: str
    url: str
    processes: list[subprocess.Popen[bytes]]
    log: Path

    def workers_cpu(self) -> dict[int, float]:
        """CPU seconds used so far by each process, by process id."""
        tick = os.sysconf("SC_CLK_TCK")
        cpu = {}
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu[process.pid] = (int(fields[11]) + int(fields[12])) / tick
        return cpu

    def check(self) -> None:
        """Raise if a server process has exited."""
        for process in self.processes:
            if process.poll() is not None:
                raise SystemExit(
                    f"a {self.name} server exited with {process.returncode}: see {self.log}"
                )


@contextmanager
def running(name: str, workers: int, env: dict[str, str], folder: Path) -> Iterator[Server]:
    """``name``'s app in ``workers`` uvicorn processes on a free port, stopped on the way out."""
    port = free_port()
    log = folder / f"{name}.log"
    command = [sys.executable, __file__, "--serve", name, "--port", str(port)]
    with log.open("wb") as out:
        processes = [
            subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
            for _ in range(workers)
        ]
    try:
        yield Server(name, f"http://127.0.0.1:{port}", processes, log)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, float, str]:
    """Status, seconds and text of one POST on a new connection; status 0 when refused."""
    import httpx

    started = time.perf_counter()
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=900)
    except httpx.TransportError as exc:
        return 0, time.perf_counter() - started, str(exc)
    return response.status_code, time.perf_counter() - started, response.text


def warm_up(server: Server, url: str, body: bytes, headers: dict[str, str]) -> float:
    """Seconds until every process answers fast: each loads the ledger at its first request.

    Rounds of 8 requests at once, each on its own connection (which the kernel hands to
    one of the processes), until three rounds in a row answer within a second.
    """
    started = time.monotonic()
    fast = 0
    while fast < 3:
        server.check()
        if time.monotonic() - started > 1800:
            raise SystemExit(f"the {server.name} server is not warm after 30 min: see {server.log}")
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: post(url, body, headers), range(8)))
        if any(status == 0 for status, _, _ in answers):  # not listening yet
            fast = 0
            time.sleep(0.5)
            continue
        for status, _, text in answers:
            if status != 200:
                raise SystemExit(f"{server.name} answered {status} to {url}: {text[:500]}")
        fast = fast + 1 if all(seconds < 1.0 for _, seconds, _ in answers) else 0
    return time.monotonic() - started


@dataclass
class WrkRun:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    cpu: dict[int, float] = field(default_factory=dict)
    """CPU seconds each worker of the server used meanwhile, by process id."""

    @property
    def rps(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds

    def cpu_text(self) -> str:
        """The server's CPU per request, and each worker's share of it."""
        shares = " + ".join(f"{seconds:.1f}" for seconds in self.cpu.values())
        per_request = sum(self.cpu.values()) / self.requests * 1000
        return f"{per_request:.1f} ms CPU per request, workers {shares} s"


WRK_ERRORS = ("connect", "read", "write", "status", "timeout")
WRK_SCRIPT = """\
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
{connection}

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""
"""POST the body with the key; ``done`` prints the figures on one line (microseconds)."""
CLOSE = 'wrk.headers["Connection"] = "close"'
"""A new connection per request: the kernel then spreads requests, not connections."""


def run_wrk(server: Server, url: str, script: Path, connections: int, seconds: float) -> WrkRun:
    """wrk with 2 threads and ``connections`` connections on ``url`` for ``seconds``.

    Raises SystemExit when any answer is not a 2xx: a benchmark of 401s measures nothing.
    """
    before = server.workers_cpu()
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s"]
    command += ["--latency", "--timeout", "10s", "-s", str(script), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK ")), None)
    if done.returncode or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    values = [float(v) for v in line.split()[1:]]
    run = WrkRun(
        requests=int(values[0]),
        seconds=values[1] / 1e6,
        p50_ms=values[2] / 1000,
        p99_ms=values[3] / 1000,
        max_ms=values[4] / 1000,
        errors=dict(zip(WRK_ERRORS, map(int, values[5:]), strict=True)),
        cpu={pid: cpu - before.get(pid, 0.0) for pid, cpu in server.workers_cpu().items()},
    )
    if run.errors["status"] or not run.requests:
        raise SystemExit(
            f"{url}: {run.errors['status']:,} answers of {run.requests:,} were not 2xx"
        )
    if any(run.errors.values()):
        print(f"  warning:    {url}: socket errors {run.errors}")
    return run


def combined(runs: list[WrkRun]) -> WrkRun:
    """Several runs as one: their requests over their time, the worst p99 and max."""
    return WrkRun(
        requests=sum(r.requests for r in runs),
        seconds=sum(r.seconds for r in runs),
        p50_ms=float(np.median([r.p50_ms for r in runs])),
        p99_ms=max(r.p99_ms for r in runs),
        max_ms=max(r.max_ms for r in runs),
        errors={k: sum(r.errors[k] for r in runs) for k in WRK_ERRORS},
        cpu={pid: sum(r.cpu.get(pid, 0.0) for r in runs) for pid in runs[0].cpu},
    )


@dataclass
class OverHttp:
    """What the HTTP part measured."""

    reasons: WrkRun
    plain: WrkRun
    score: WrkRun
    echo: WrkRun

    @property
    def ratio(self) -> float:
        """Throughput of the score route without reasons over the echo's, at 16 connections."""
        return self.score.rps / self.echo.rps


def check_answers(app: Server, echo: Server, body: dict[str, Any], headers: dict[str, str]) -> None:
    """The score route answers with reasons, and without when asked; the echo echoes."""
    import httpx

    url = app.url + SCORE_PATH
    scored = httpx.post(url, json=body, headers=headers, timeout=60)
    plain = httpx.post(url + "?reasons=false", json=body, headers=headers, timeout=60)
    echoed = httpx.post(echo.url + SCORE_PATH, json=body, headers=headers, timeout=60)
    for response in (scored, plain, echoed):
        if response.status_code != 200:
            raise SystemExit(f"{response.url} answered {response.status_code}: {response.text}")
    if not scored.json()["scores"][0]["reasons"] or plain.json()["scores"][0]["reasons"]:
        raise SystemExit("the score route did not honour ?reasons")
    if echoed.json() != body:
        raise SystemExit("the echo app does not echo")


def over_http(
    settings: Settings, folder: Path, body: dict[str, Any], args: argparse.Namespace
) -> OverHttp:
    """Serve both apps, warm them up, and load them with wrk."""
    from ledger.storage import make_engine
    from serving.api_keys import Role, create_key

    engine = make_engine(settings.database_url)
    token = create_key(engine, Role.VIEWER, "bench/serve.py").token
    engine.dispose()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    payload = json.dumps(body)
    script, closing = folder / "post.lua", folder / "post-close.lua"
    script.write_text(WRK_SCRIPT.format(body=payload, token=token, connection=""))
    closing.write_text(WRK_SCRIPT.format(body=payload, token=token, connection=CLOSE))
    env = os.environ | {
        "ENCOURS_DATABASE_URL": settings.database_url,
        "ENCOURS_MODELS_DIR": str(settings.models_dir),
        "ENCOURS_LEDGER_REFRESH_SECONDS": str(settings.ledger_refresh_seconds),
        "OMP_WAIT_POLICY": "PASSIVE",
    }
    workers = args.workers
    with (
        running("encours", workers, env, folder) as app,
        running("echo", workers, env, folder) as echo,
    ):
        score_url = app.url + SCORE_PATH
        plain_url, echo_url = score_url + "?reasons=false", echo.url + SCORE_PATH
        warm_s = warm_up(app, score_url, payload.encode(), headers)
        warm_up(echo, echo_url, payload.encode(), headers)
        check_answers(app, echo, body, headers)
        for server, url in ((app, score_url), (app, plain_url), (echo, echo_url)):
            run_wrk(server, url, script, 16, args.warmup)
        print(
            f"http:         {workers} uvicorn process(es) for each app on one 127.0.0.1 "
            f"port (SO_REUSEPORT), wrk -t 2 --timeout 10s; the app warm (ledger loaded by "
            f"every process) in {warm_s:.0f} s, then {args.warmup:.0f} s of wrk on each URL, "
            f"not counted"
        )
        # Four keep-alive connections would pin the load: on one process or two, as the
        # kernel's hash of their ports falls. One connection per request spreads it.
        reasons = run_wrk(app, score_url, closing, 4, args.duration)
        plain = run_wrk(app, plain_url, closing, 4, args.duration)
        scores, echoes = [], []
        for _ in range(ROUNDS):
            scores.append(run_wrk(app, plain_url, script, 16, args.duration / ROUNDS))
            echoes.append(run_wrk(echo, echo_url, script, 16, args.duration / ROUNDS))
        measured = OverHttp(reasons, plain, combined(scores), combined(echoes))
    print(
        f"score:        1 invoice with reasons, 4 clients (a connection per request): "
        f"{reasons.requests:,} requests "
        f"in {reasons.seconds:.1f} s ({reasons.rps:,.0f}/s; {reasons.cpu_text()}): p50 "
        f"{reasons.p50_ms:.1f} ms, p99 {reasons.p99_ms:.1f} ms, max {reasons.max_ms:.0f} ms   "
        f"[target p99 < {TARGET_P99_MS:.0f} ms: {verdict(reasons.p99_ms < TARGET_P99_MS)}]"
    )
    print(
        f"              without reasons, 4 clients: {plain.rps:,.0f}/s "
        f"({plain.cpu_text()}): p50 {plain.p50_ms:.1f} ms, p99 {plain.p99_ms:.1f} ms; "
        f"reasons add {reasons.p50_ms - plain.p50_ms:.1f} ms to the median"
    )
    score, echoed = measured.score, measured.echo
    print(
        f"throughput:   16 keep-alive connections, {ROUNDS} alternated rounds of "
        f"{args.duration / ROUNDS:.1f} s each: score without reasons {score.rps:,.0f}/s "
        f"(p99 {score.p99_ms:.0f} ms; {score.cpu_text()}), echo {echoed.rps:,.0f}/s "
        f"(p99 {echoed.p99_ms:.0f} ms; {echoed.cpu_text()}): ratio {measured.ratio:.3f}   "
        f"[target >= {TARGET_RATIO}: {verdict(measured.ratio >= TARGET_RATIO)}]"
    )
    return measured


# --- main -----------------------------------------------------------------------------------


@contextmanager
def store_folder(path: Path | None) -> Iterator[Path]:
    """``path`` (created, kept), or a temporary folder removed on the way out."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="encours-bench-serve-") as tmp:
        yield Path(tmp)


def main() -> None:
    """Parse the arguments, build the store, measure, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of each wrk run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of wrk, not counted")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes per app")
    parser.add_argument("--repeat", type=int, default=2, help="in-process runs (best counts)")
    parser.add_argument(
        "--store", type=Path, help="keep the ledger and models here, reuse them next time"
    )
    parser.add_argument("--serve", choices=("encours", "echo"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:  # a server process started by over_http
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        sys.exit("bench/serve.py loads the API with wrk, which is missing: apt-get install wrk")

    with store_folder(args.store) as folder:
        settings = open_store(folder, args.invoices, args.seed)
        done = in_process(settings, args.seed, args.repeat)
        http = over_http(settings, folder, done.body, args)
    print(
        f"score_all_s={done.score_all_s:.2f} forecast_s={done.forecast_s:.2f} "
        f"p99_ms={http.reasons.p99_ms:.2f} rps_score={http.score.rps:.1f} "
        f"rps_echo={http.echo.rps:.1f} ratio={http.ratio:.3f}"
    )


if __name__ == "__main__":
    main()
