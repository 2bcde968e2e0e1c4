"""Timing a call in a child process, with a hard limit.

Code still quadratic in its input takes minutes, or hours, on the sizes the tests use; run in a
child process, it fails its test after a hard limit instead of holding the suite up. The child
reports the seconds the call itself took and what it returned or raised.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

HARD_LIMIT = 30.0
"""Seconds after which a child still working is stopped and its test fails."""


def _summary(outcome: Any) -> str:
    if isinstance(outcome, BaseException):
        return f"raised {type(outcome).__name__}: {str(outcome)[:200]}"
    return f"returned {type(outcome).__name__}"


def timed_in_child(
    prepare: Callable[[], Callable[[], Any]], label: str, engine: sa.Engine | None = None
) -> tuple[float, type[BaseException] | None, int | None]:
    """Run `prepare()` then the call it returns, in a forked child; time the call alone.

    The child never touches the connections it inherits from `engine`'s pool: it opens its own,
    so that the parent's connections keep their state (PostgreSQL's prepared statements).

    Returns:
        The seconds the call took, the class of the exception it raised (None if it returned),
        and the number of members of the event it returned, if it returned one.

    Raises:
        AssertionError: the child did not finish within `HARD_LIMIT` seconds.
    """
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)

    def child() -> None:
        if engine is not None:
            engine.dispose(close=False)
        call = prepare()
        start = time.perf_counter()
        try:
            outcome: Any = call()
        except Exception as e:  # reported to the parent, which checks it
            outcome = e
        seconds = time.perf_counter() - start
        raised = type(outcome) if isinstance(outcome, BaseException) else None
        sending.send((seconds, raised, _summary(outcome), _size(outcome)))

    process = context.Process(target=child)
    process.start()
    try:
        if not receiving.poll(HARD_LIMIT):
            raise AssertionError(f"{label}: did not finish in {HARD_LIMIT:.0f} s")
        seconds, raised, summary, size = receiving.recv()
    finally:
        process.kill()
        process.join()
    print(f"\n{label}: {seconds:.3f} s ({summary})")
    return seconds, raised, size


def _size(outcome: Any) -> int | None:
    members = getattr(outcome, "members", None)
    return None if members is None else len(members)
