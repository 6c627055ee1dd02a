"""Results kept with a snapshot: made once per key, bounded, the registry's read for a while."""

from __future__ import annotations

import threading
import time

import pytest

from serving.result_cache import ResultCache, TimedResults


def test_a_result_is_made_once_even_for_callers_at_the_same_time() -> None:
    cache, calls, started = ResultCache(), [], threading.Event()

    def slow() -> int:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return 42

    got: list[int] = []
    others = [threading.Thread(target=lambda: got.append(cache.get("k", slow))) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(10)
    assert got == [42, 42, 42] and len(calls) == 1 and cache.made == 1
    assert cache.get("k", lambda: 0) == 42  # kept: not made again


def test_the_least_recently_used_go_first_and_large_kinds_are_kept_fewer() -> None:
    cache = ResultCache(size=3, large={"big": 1})
    for key in ("a", "b", "c"):
        cache.get(key, lambda key=key: key)  # type: ignore[misc]
    cache.get("a", lambda: "again")  # used: now the most recent
    cache.get("d", lambda: "d")  # over 3: drops b, the least recently used
    assert cache.get("b", lambda: "made anew") == "made anew"
    assert cache.get("a", lambda: "again") == "a"
    cache.get(("big", 1), lambda: 1)
    cache.get(("big", 2), lambda: 2)  # a second large one drops the first
    assert cache.get(("big", 1), lambda: -1) == -1


def test_a_failure_is_not_kept() -> None:
    cache = ResultCache()

    def broken() -> int:
        raise OSError("registry down")

    with pytest.raises(OSError):
        cache.get("k", broken)
    assert cache.get("k", lambda: 7) == 7


def test_timed_results_are_made_again_once_old() -> None:
    kept = TimedResults(seconds=0.1)
    assert kept.get("boards", lambda: 1) == 1
    assert kept.get("boards", lambda: 2) == 1  # young: kept
    time.sleep(0.15)
    assert kept.get("boards", lambda: 3) == 3
