"""Real concurrency on PostgreSQL for every app's tests: threads, each with its own connection
and transaction, released at one barrier so that they really collide (tests that use it are
`django_db(transaction=True)`: a shared test transaction would hide every race)."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.db import close_old_connections, connection


def run_together(calls: list[Callable], *, workers: int | None = None) -> list:
    """Run each call in a thread and return, in order, what it returned or raised.

    At most `workers` threads (one per call by default) run at once; the first of them start
    together at a barrier, later calls follow as threads free up. Each call's connection is
    closed when it is done.
    """
    workers = min(workers or len(calls), len(calls))
    barrier = threading.Barrier(workers)
    started = threading.local()

    def run(call):
        try:
            if not getattr(started, "done", False):
                started.done = True
                barrier.wait()
            return call()
        except Exception as exc:  # the outcome under test (a refusal), asserted on by the caller
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(run, calls))
    close_old_connections()
    return results
