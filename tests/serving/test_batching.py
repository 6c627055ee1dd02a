"""Concurrent score requests are scored together, and each gets its own answer or error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import numpy as np

from ledger.errors import UnknownClient
from serving.batching import Columns, ScoreBatcher, ScoreJob, merged_columns, score_jobs
from serving.scoring import InvoiceScores
from tests.serving.conftest import Store, auth
from tests.serving.test_ops import Served


class Doubler:
    """A scorer whose p_late is twice the invoice's value, counting its calls; it fails on
    any batch holding a negative value."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, columns: Columns) -> InvoiceScores:
        values = np.array(columns["v"])
        self.calls.append(len(values))
        if (values < 0).any():
            raise ValueError("negative value")
        return InvoiceScores(values * 2.0, None, None, None)


def job(key: str, values: list[float], scorer: Doubler) -> ScoreJob:
    return ScoreJob(key, lambda: {"v": values}, scorer)


def failing_prepare(scorer: Doubler) -> ScoreJob:
    def prepare() -> Columns:
        raise UnknownClient("C404")

    return ScoreJob("a", prepare, scorer)


def test_jobs_of_one_key_are_scored_in_one_call_each_with_its_rows() -> None:
    scorer_a, scorer_b = Doubler(), Doubler()
    jobs = [
        job("a", [1.0, 2.0], scorer_a),
        job("b", [10.0], scorer_b),
        failing_prepare(scorer_a),
        job("a", [3.0], scorer_a),
    ]
    score_jobs(jobs)
    assert scorer_a.calls == [3] and scorer_b.calls == [1]
    results = [None if j.result is None else list(j.result.p_late) for j in jobs]
    assert results == [[2.0, 4.0], [20.0], None, [6.0]]
    assert isinstance(jobs[2].error, UnknownClient)


def test_merged_columns_follow_each_other_with_none_where_a_request_lacks_a_column() -> None:
    parts: list[Columns] = [
        {"v": [1, 2], "x_channel": ["email", "post"]},
        {"v": [3]},
        {"v": [4], "x_region": ["nord"]},
    ]
    assert merged_columns(parts) == {
        "v": [1, 2, 3, 4],
        "x_channel": ["email", "post", None, None],
        "x_region": [None, None, None, "nord"],
    }


def test_a_failing_batch_is_scored_again_job_by_job_so_only_its_culprit_fails() -> None:
    scorer = Doubler()
    jobs = [job("a", [1.0], scorer), job("a", [-1.0], scorer), job("a", [5.0], scorer)]
    score_jobs(jobs)
    assert scorer.calls == [3, 1, 1, 1]
    assert jobs[0].result is not None and list(jobs[0].result.p_late) == [2.0]
    assert isinstance(jobs[1].error, ValueError) and jobs[1].result is None
    assert jobs[2].result is not None and list(jobs[2].result.p_late) == [10.0]


def test_requests_waiting_together_make_one_batch_and_errors_reach_their_request() -> None:
    scorer = Doubler()
    batcher = ScoreBatcher()

    async def main() -> list[object]:
        work = [batcher.score(job("a", [float(i)], scorer), 1) for i in range(6)]
        work.append(batcher.score(failing_prepare(scorer), 1))
        return await asyncio.gather(*work, return_exceptions=True)

    answers = asyncio.run(main())
    assert batcher.batches == 1 and scorer.calls == [6]
    for i, answer in enumerate(answers[:6]):
        assert isinstance(answer, InvoiceScores) and list(answer.p_late) == [2.0 * i]
    assert isinstance(answers[6], UnknownClient)


def test_a_batch_stops_growing_at_max_rows() -> None:
    scorer = Doubler()
    batcher = ScoreBatcher(max_rows=4)

    async def main() -> None:
        await asyncio.gather(*(batcher.score(job("a", [1.0, 1.0], scorer), 2) for _ in range(5)))

    asyncio.run(main())
    assert scorer.calls == [4, 4, 2]


def test_concurrent_requests_get_the_answers_they_get_alone(
    keyed_app: Served, store: Store
) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    clients = store.ledger.clients["client_id"].astype(str).tolist()[:8]

    def body(i: int) -> dict:
        return {
            "as_of": "2025-01-10",
            "invoices": [
                {
                    "client_id": clients[i],
                    "issue_date": "2025-01-10",
                    "due_date": "2025-02-09",
                    "amount": f"{1000 + 250 * i}.00",
                }
            ],
        }

    def post(i: int) -> dict:
        response = client.post("/v1/invoices/score", json=body(i), headers=viewer)
        assert response.status_code == 200, response.text
        return response.json()

    alone = [post(i) for i in range(len(clients))]
    batcher = client.app.state.encours.batcher  # type: ignore[attr-defined]
    before = batcher.batches
    together: dict[int, dict] = {}
    start = threading.Barrier(len(clients))

    def fire(i: int) -> Callable[[], None]:
        def run() -> None:
            start.wait()
            for _ in range(5):
                together[i] = post(i)

        return run

    threads = [threading.Thread(target=fire(i)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert together == dict(enumerate(alone))
    assert len({a["scores"][0]["p_late"] for a in alone}) > 1  # the answers tell clients apart
    # Some batch held several requests (12 batches for the 40 requests here, typically):
    # the equality above then checks each got its own rows back.
    assert batcher.batches - before < 5 * len(clients)


def test_an_unknown_client_among_concurrent_requests_is_its_own_404(
    keyed_app: Served, store: Store
) -> None:
    client, tokens = keyed_app
    viewer = auth(tokens["viewer"])
    known = str(store.ledger.clients["client_id"].iloc[0])
    statuses: dict[str, int] = {}

    def post(client_id: str) -> None:
        invoice = {
            "client_id": client_id,
            "issue_date": "2025-01-10",
            "due_date": "2025-02-09",
            "amount": "10.00",
        }
        response = client.post("/v1/invoices/score", json={"invoices": [invoice]}, headers=viewer)
        statuses[client_id] = response.status_code

    threads = [threading.Thread(target=post, args=(c,)) for c in (known, "NO-SUCH-CLIENT")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == {known: 200, "NO-SUCH-CLIENT": 404}


def test_small_batches_are_scored_on_the_event_loop_large_ones_in_the_thread_pool() -> None:
    threads: list[int] = []

    def scorer(columns: Columns) -> InvoiceScores:
        threads.append(threading.get_ident())
        return InvoiceScores(np.array(columns["v"]), None, None, None)

    batcher = ScoreBatcher(inline_rows=2)

    async def main() -> int:
        await batcher.score(ScoreJob("a", lambda: {"v": [1.0, 2.0]}, scorer), 2)
        await batcher.score(ScoreJob("a", lambda: {"v": [1.0] * 3}, scorer), 3)
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert threads[0] == loop_thread and threads[1] != loop_thread
