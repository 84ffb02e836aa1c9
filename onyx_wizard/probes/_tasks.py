"""Concurrency inside a probe: all requests or none, so a failure leaves nothing running."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def first_failure(exc: BaseException) -> BaseException:
    """The first real failure inside exception groups (a TaskGroup's), else `exc` itself."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, BaseExceptionGroup)]
        real = [e for e in inner if isinstance(e, Exception)]
        if real:
            return real[0]
        exc = exc.exceptions[0]
    return exc


async def together(*coroutines: Coroutine[Any, Any, T]) -> list[T]:
    """Run `coroutines` concurrently and return their results in order.

    Unlike `asyncio.gather`, the first failure cancels the others (a probe whose task ended
    must leave no request running) and is raised as itself, not inside an exception group.
    """
    failure: BaseException | None = None
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(coroutine) for coroutine in coroutines]
    except BaseExceptionGroup as group_failure:
        failure = first_failure(group_failure)
    if failure is not None:
        raise failure  # raised here, outside the handler, so its own context stays as it was
    return [task.result() for task in tasks]
