"""Benchmark a server's start: time from the process's start to the first answer of routes
that need the ledger, without a snapshot file (cold) and with one.

Run: ``.venv/bin/python bench/first_request.py [--store /tmp/store-1m] [--runs 2]``. The
store is bench/serve.py's (``--store DIR --invoices N``: a SQLite ledger and champion
models); this benchmark adds a viewer API key to its database and nothing else: snapshot
files go to a folder of its own (``--snapshot-dir``, a temporary one by default).

Each run starts ``python -m encours serve`` (uvicorn, one process, the ledger read before
serving as always), then asks ``GET /v1/invoices/{id}`` for an open invoice until it
answers 200; the time from ``Popen`` to that answer is the figure (target < 2 s at a
million invoices), then the first answers of ``GET /v1/clients/{id}/risk`` and
``GET /v1/invoices/{id}?reasons=false``. The cold run (no file) writes the file as the
service does; the runs after it read it. Beside the wall times, the server's CPU seconds
(it shares the machine's cores with whatever else runs) and the load average; and what a
bare ``import serving.api.app`` costs, which no file saves. The last line is
machine-readable: ``cold_s=<float> file_s=<float>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
ROOT = HERE.parent
TARGET_S = 2.0
REFRESH_SECONDS = "86400"
"""The server's ledger refresh during the benchmark: longer than any run."""
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds process ``pid`` has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass(frozen=True)
class Target:
    """What the runs ask for: an open invoice, its client, a viewer key."""

    invoice_id: str
    client_id: str
    token: str


def prepare(database_url: str) -> Target:
    """A viewer key added to the store's database, and an open invoice of its ledger."""
    from sqlalchemy import text

    from ledger.storage import make_engine
    from serving.api_keys import Role, create_key

    engine = make_engine(database_url)
    token = create_key(engine, Role.VIEWER, "bench/first_request.py").token
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT invoice_id, client_id FROM invoices WHERE paid_date IS NULL "
                "AND doc_type = 'invoice' ORDER BY invoice_id LIMIT 1"
            )
        ).one()
    engine.dispose()
    return Target(str(row[0]), str(row[1]), token)


def first_answer(url: str, headers: dict[str, str], process: subprocess.Popen[bytes]) -> float:
    """Ask ``url`` until it answers 200 (polling every 20 ms); the monotonic time then."""
    import httpx

    while True:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            answer = httpx.get(url, headers=headers, timeout=120)
        except httpx.TransportError:
            time.sleep(0.02)
            continue
        if answer.status_code != 200:
            raise SystemExit(f"{url}: {answer.status_code} {answer.text[:300]}")
        return time.monotonic()


def one_start(
    label: str, env: dict[str, str], target: Target, log: Path, file_in: Path | None = None
) -> float:
    """Start the server, print the time to each route's first answer; the first's. With
    ``file_in``, the server is stopped only once it has written its file there."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {target.token}"}
    command = [sys.executable, "-m", "encours", "serve", "--port", str(port)]
    offset = log.stat().st_size if log.exists() else 0
    with log.open("ab") as out:
        started, wall_started = time.monotonic(), time.time()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    try:
        first = first_answer(f"{base}/v1/invoices/{target.invoice_id}", headers, process)
        cpu = cpu_seconds(process.pid)
        times = [f"GET /v1/invoices/{{id}} (reasons) {first - started:.2f} s"]
        for name, path in (
            ("GET /v1/clients/{id}/risk", f"/v1/clients/{target.client_id}/risk"),
            ("GET /v1/invoices/{id}?reasons=false", f"/v1/invoices/{target.invoice_id}"),
        ):
            asked = time.monotonic()
            params = {"reasons": "false"} if "reasons" in name else None
            answer = httpx.get(base + path, headers=headers, params=params, timeout=120)
            answer.raise_for_status()
            times.append(f"{name} then {(time.monotonic() - asked) * 1000:.0f} ms")
        print(
            f"{label:<6} first answer {first - started:.2f} s after the start "
            f"[target < {TARGET_S:.0f} s: {'ok' if first - started < TARGET_S else 'MISSED'}], "
            f"server CPU {cpu:.2f} s, load {os.getloadavg()[0]:.2f}; " + "; ".join(times[1:]),
            flush=True,
        )
        print(f"       {phases(log, offset, wall_started)}", flush=True)
        if file_in is not None:
            written = wait_for_file(file_in)
            print(f"file:   {written.name}, {written.stat().st_size / 1e6:.0f} MB", flush=True)
        return first - started
    finally:
        process.terminate()
        process.wait(timeout=60)


PHASES = (
    ("Started server process", "imports and the schema check"),
    ("snapshot file|Application startup complete", "models and ledger"),
    ("Application startup complete", "the rest of the start"),
    ("uvicorn.access", "the first answer"),
)


def phases(log: Path, offset: int, started: float) -> str:
    """Seconds between the server's log lines of one start (from ``offset`` in ``log``):
    where its start went."""
    lines = log.read_bytes()[offset:].decode(errors="replace").splitlines()
    parts, before = [], started
    for pattern, label in PHASES:
        line = next((x for x in lines if re.search(pattern, x)), None)
        if line is None:
            continue
        at = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
        parts.append(f"{label} {at - before:.2f} s")
        before = at
    return "phases (from the log): " + ", ".join(parts)


def wait_for_file(folder: Path, timeout: float = 600.0) -> Path:
    """The snapshot file once the cold server has written it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob("ledger-v*.arrow")) if folder.exists() else []
        if found:
            return found[-1]
        time.sleep(0.5)
    raise SystemExit(f"no snapshot file in {folder} after {timeout:.0f} s")


def import_cost() -> str:
    """What importing the app alone costs a fresh process: wall and CPU seconds."""
    code = (
        "import time, resource; t = time.perf_counter(); import serving.api.app; "
        "u = resource.getrusage(resource.RUSAGE_SELF); "
        "print(f'{time.perf_counter() - t:.2f} {u.ru_utime + u.ru_stime:.2f}')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    wall, cpu = out.stdout.split()
    return f"import serving.api.app alone: {wall} s ({cpu} s CPU for the whole process)"


def main() -> None:
    """Parse the arguments, run the cold start and the starts on the file, print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/store-1m"))
    parser.add_argument("--snapshot-dir", type=Path, help="default: a temporary folder")
    parser.add_argument("--runs", type=int, default=2, help="starts on the file")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    database_url = f"sqlite:///{args.store / 'ledger.db'}"
    folder = args.snapshot_dir or Path(tempfile.mkdtemp(prefix="encours-snapshots-"))
    shutil.rmtree(folder, ignore_errors=True)
    env = os.environ | {
        "ENCOURS_DATABASE_URL": database_url,
        "ENCOURS_MODELS_DIR": str(args.store / "models"),
        "ENCOURS_SNAPSHOT_DIR": str(folder),
        "ENCOURS_LEDGER_REFRESH_SECONDS": REFRESH_SECONDS,
        "OMP_WAIT_POLICY": "PASSIVE",
        "PYTHONPATH": str(ROOT),
    }
    target = prepare(database_url)
    log = folder.parent / f"{folder.name}.log"
    print(f"store:  {args.store}; snapshot files in {folder}; server log {log}")
    print(import_cost())
    cold = one_start("cold", env, target, log, file_in=folder)
    file_s = min(one_start("file", env, target, log) for _ in range(args.runs))
    if args.snapshot_dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"cold_s={cold:.2f} file_s={file_s:.2f}")


if __name__ == "__main__":
    main()
