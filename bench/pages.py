"""Benchmark the pages: each page's server time, on a ledger of about N invoices.

Run: ``.venv/bin/python bench/pages.py [--invoices N] [--seed S] [--store DIR] [--repeat R]``.
The ledger and the three models come from ``bench/serve.py``'s store (simulated, saved into
SQLite, fitted as ``encours train`` fits them, registered as champions; ``--store DIR``
keeps them for the next run). The app (``serving.api.app.create_app``) runs in process,
its ledger read before the clock starts; a collector signs in through ``/ui/login``, then
each page is asked ``--repeat`` times at the ledger's last day and the best time kept: the
time the app takes from the request to the last byte of the page, without a network.

The app keeps what it computed from its ledger snapshot (``serving.result_cache``): the
first ask of a page at a date (``first``) computes, the next ones (the best) find it kept.
The figures the app computes ahead for today (``serving.services.warming``) are left to
finish before the clock starts (``warm`` says how long they took): the pages here are
asked at the ledger's last day, not today.

Wall times are distorted by whatever else runs on the machine: each page's CPU seconds
(``time.process_time``, every thread of the process) of its first ask are printed beside,
and the load average at the start and the end.

Target: every page under 300 ms. The last line is machine-readable:
``<page>_ms=<float> ...`` (the best times).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # bench/serve.py's store

from serve import open_store, store_folder

TARGET_MS = 300.0


def pages(day: str, client_id: str) -> dict[str, str]:
    """The pages timed, by name: each route of the dashboard at ``day``."""
    return {
        "worklist": f"/ui/worklist?as_of={day}",
        "worklist_page_3": f"/ui/worklist?as_of={day}&page=3",
        "worklist_filtered": f"/ui/worklist?as_of={day}&bucket=over_90",
        "aged_balance": f"/ui/aged-balance?as_of={day}",
        "kpis": f"/ui/kpis?as_of={day}",
        "forecast": f"/ui/forecast?as_of={day}",
        "client": f"/ui/clients/{client_id}?as_of={day}",
        "prospect": f"/ui/prospect?as_of={day}",
        "models": f"/ui/models?as_of={day}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--store", type=Path, help="keep the ledger and models here")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from ledger.storage import load_ledger, make_engine
    from serving.api.app import create_app
    from serving.api_keys import Role, create_key

    with store_folder(args.store) as folder:
        settings = open_store(folder, args.invoices, args.seed)
        engine = make_engine(settings.database_url)
        ledger = load_ledger(engine)
        token = create_key(engine, Role.COLLECTOR, "bench pages").token
        engine.dispose()
        day = str(ledger.invoices["issue_date"].max().date())
        client_id = str(ledger.invoices["client_id"].value_counts().index[0])
        del ledger
        print(f"load average {load()}")
        with TestClient(create_app(settings, warm=True), follow_redirects=False) as client:
            started, cpu = time.perf_counter(), time.process_time()
            for thread in threading.enumerate():
                if thread.name == "ledger-warm":
                    thread.join()
            print(
                f"warm               {(time.perf_counter() - started) * 1000:9.1f} ms "
                f"(CPU {time.process_time() - cpu:.1f} s)"
            )
            form = client.get("/ui/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert csrf is not None
            signed = client.post("/ui/login", data={"api_key": token, "csrf_token": csrf.group(1)})
            assert signed.status_code == 303, signed.text
            times = {
                name: best_ms(client, path, args.repeat)
                for name, path in pages(day, client_id).items()
            }
    print(f"load average {load()}")
    for name, (ms, status, first, first_cpu) in times.items():
        verdict = (
            "ok"
            if status == 200 and ms < TARGET_MS
            else "OVER"
            if status == 200
            else f"HTTP {status}"
        )
        print(f"{name:18} {ms:9.1f} ms  {verdict:5} (first {first:.1f} ms, CPU {first_cpu:.2f} s)")
    print(" ".join(f"{name}_ms={ms:.1f}" for name, (ms, *_) in times.items()))


def load() -> str:
    """The load averages over 1, 5 and 15 minutes."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def best_ms(client: object, path: str, repeat: int) -> tuple[float, int, float, float]:
    """The best of ``repeat`` times to get ``path`` whole, in ms, its status, and the time
    of the first ask with its CPU seconds."""
    times, status, first_cpu = [], 0, 0.0
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        answer = client.get(path)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - started) * 1000)
        first_cpu = first_cpu or time.process_time() - cpu
        status = answer.status_code
    return min(times), status, times[0], first_cpu


if __name__ == "__main__":
    main()
