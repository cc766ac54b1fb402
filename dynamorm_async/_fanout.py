"""Run jobs concurrently and raise the first failure as itself, never as an ExceptionGroup.

An anyio task group wraps what its tasks raise in an ``ExceptionGroup``, which callers of
the library would have to unpack with ``except*``. Every fan-out in the package (a query's
parallel count, batch chunks) goes through :func:`run_all` instead: the first job to raise
an :class:`Exception` cancels the others, and once they have all ended that exception is
raised unchanged, with its own cause and traceback. Cancellation (a ``BaseException``) is
never caught: it reaches the task group, which propagates it as anyio does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

__all__ = ["run_all"]


async def run_all(jobs: Iterable[Callable[[], Awaitable[object]]]) -> None:
    """Run every job at once and wait for all of them.

    Args:
        jobs: Coroutine functions taking no arguments.

    Raises:
        Exception: The first exception a job raised (the other jobs are cancelled), as is.
    """
    import anyio  # here: a query imports this module, and only its parallel count fans out

    failures: list[Exception] = []

    async def guarded(job: Callable[[], Awaitable[object]]) -> None:
        try:
            await job()
        except Exception as exc:
            failures.append(exc)
            group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        for job in jobs:
            group.start_soon(guarded, job)
    if failures:
        # Raised outside any except block, so its __context__ is left as it was.
        raise failures[0]
