"""``make demo``: simulate, import, train and serve, on the embedded defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from encours.settings import Settings
from ledger.errors import ImportRejected
from ledger.importing import import_directory
from ledger.kpis import compute_kpis
from ledger.storage import load_ledger, make_engine
from serving.api_keys import Role, create_key
from simulator import SimulationConfig, simulate, write_simulation
from training.tracking import use_store
from training.train import train_models


def run_demo(
    settings: Settings,
    console: Console,
    clients: int,
    months: int,
    seed: int,
    data: Path,
    serve_api: bool,
) -> int:
    """Run the demo end to end; returns a process exit code."""
    engine = make_engine(
        settings.database_url,
        lock_timeout_seconds=settings.db_lock_timeout_seconds,
        statement_timeout_seconds=settings.db_statement_timeout_seconds,
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("simulating", total=months + 3)
        sim = simulate(
            SimulationConfig(n_clients=clients, n_months=months, seed=seed),
            progress=lambda done: progress.update(task, completed=done),
        )
        write_simulation(sim, data)
        progress.update(task, description="importing", completed=months + 1)
        try:
            report = import_directory(engine, data)
        except ImportRejected as rejected:
            console.print(f"[red]{rejected}[/]")
            return 1
        progress.update(task, description="training", completed=months + 2)
        ledger = load_ledger(engine)
        use_store(settings.tracking_uri, settings.artifacts_uri)
        trained = train_models(ledger, truth=sim.truth)
        progress.update(task, completed=months + 3)
    n_invoices = len(sim.ledger.invoices)
    console.print(
        f"[bold]1. Simulated[/] {clients} clients, {n_invoices:,} invoices over {months} "
        f"months, up to {sim.end.date()}, in {data}/ (truth apart in {data}/truth/)."
    )
    changed = report.summary.changed
    console.print(f"[bold]2. Imported[/] into {settings.database_url} ({changed:,} rows written).")
    figures = compute_kpis(ledger, sim.end.date())[0]
    console.print(
        f"   At {sim.end.date()}: encours client {figures.encours:,.2f} {figures.currency}, "
        f"DSO {figures.dso} days.  Try: .venv/bin/encours kpis --as-of {sim.end.date()}"
    )
    m, baselines = trained.metrics, trained.baselines
    oracle = trained.evaluation.oracle or {}
    console.print(
        f"[bold]3. Trained[/] {', '.join(f'{r.name} v{r.version}' for r in trained.registrations)}"
        f" out of time: late-payment ROC AUC {m['roc_auc']:.3f} (client's last delay "
        f"{baselines['client_last_delay']['roc_auc']:.3f}, logistic regression "
        f"{baselines['logistic_regression']['roc_auc']:.3f}, the simulator's truth "
        f"{oracle.get('roc_auc', float('nan')):.3f}); calibration error {m['ece']:.3f}; "
        f"payment date within P10–P90 for {m['coverage_p10_p90']:.0%} of invoices."
    )
    console.print(
        f"   MLflow UI: .venv/bin/mlflow ui --backend-store-uri {settings.tracking_uri} --port 5000"
    )
    if not serve_api:
        return 0
    base = f"http://{settings.host}:{settings.port}"
    key = create_key(engine, Role.COLLECTOR, "demo")
    print_serving(console, base, key.token, sim.end.date())
    from encours.serve import run_server

    return run_server(settings, settings.host, settings.port)


def serving_lines(base: str, token: str, day: dt.date) -> tuple[str, ...]:
    """What the demo says of the server it starts: the pages, the key, a curl to try."""
    return (
        f"[bold]4. Serving[/] the API and its pages at {base}",
        f"   The pages (sign in with the key below): {base}/ui/worklist?as_of={day}",
        "   A collector's API key for the demo (shown once):",
        f"   {token}",
        f"   curl -H 'Authorization: Bearer {token}' '{base}/v1/worklist?as_of={day}&limit=20'",
        f"   API docs: {base}/docs  —  KPIs: {base}/v1/kpis?as_of={day}",
    )


def print_serving(console: Console, base: str, token: str, day: dt.date) -> None:
    """:func:`serving_lines`, each printed whole: never wrapped by the console, so that the
    key, the address and the curl command copy and paste as they are."""
    for line in serving_lines(base, token, day):
        console.print(line, soft_wrap=True, highlight=False)
