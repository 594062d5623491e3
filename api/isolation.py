"""Work on untrusted files in processes of their own, supervised.

A PDF sent to be checked is parsed by C libraries (PDFium, and WeasyPrint to render it again).
A file crafted to crash or stall them must not take the service with it: the work runs in a
separate process, with a time limit. A process that dies or overruns is replaced, the request
gets a clear answer, and every other request goes on as before.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ledger.errors import InvalidEntry, TooLarge

log = logging.getLogger("godmother.isolation")
T = TypeVar("T")

WORKERS = int(os.environ.get("GODMOTHER_FILE_WORKERS", "1"))
SECONDS = int(os.environ.get("GODMOTHER_FILE_SECONDS", "300"))


class ReaderStopped(InvalidEntry):
    def __init__(self) -> None:
        super().__init__("this file stopped the program reading it; nothing was changed: check that it is a statement")


class Isolated:
    """A small pool of processes for file work; replaced whole when one of them fails."""

    def __init__(self, workers: int = WORKERS, seconds: int = SECONDS) -> None:
        self.workers, self.seconds = workers, seconds
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self.restarts = 0

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))
            return self._pool

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is not pool:
                return  # another request replaced it already
            self._pool = None
            self.restarts += 1
        for process in list(getattr(pool, "_processes", {}).values()):  # a stalled worker never ends by itself
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, work: Callable[..., T], *args: Any, seconds: int | None = None) -> T:
        pool = self._current()
        limit = seconds or self.seconds
        try:
            future = pool.submit(work, *args)
        except BrokenProcessPool:
            self._replace(pool)
            pool = self._current()
            future = pool.submit(work, *args)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limit)
        except BrokenProcessPool:
            log.warning("a file worker died; it is replaced")
            self._replace(pool)
            raise ReaderStopped() from None
        except TimeoutError:
            log.warning("a file worker ran over %s s; it is replaced", limit)
            self._replace(pool)
            raise TooLarge("this file takes too long to check", f"{limit} seconds") from None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
