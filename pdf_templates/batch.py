"""Rendering many statements at once, over the machine's cores.

Documents are gathered in the calling process (one database transaction); each worker
process renders and writes its files, so only the small JSON documents cross process
boundaries, never the PDFs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ledger.signing.keys import SigningKey
from ledger.statements.document import Document
from pdf_templates.render import render_pdf

J = TypeVar("J")


@dataclass(frozen=True, slots=True)
class Job:
    document: Document
    lang: str
    path: Path
    key: SigningKey | None = None  # the issuing branch's, where it signs its statements


def render_job(job: Job) -> int:
    data = render_pdf(job.document, job.lang, job.key)
    temporary = job.path.with_name(job.path.name + ".part")
    temporary.write_bytes(data)
    temporary.replace(job.path)  # never a half-written statement under the real name
    return len(data)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def render_all(
    jobs: Sequence[J],
    *,
    workers: int | None = None,
    work: Callable[[J], int] | None = None,
    advance: Callable[[int], None] | None = None,
    chunk: int = 4,
) -> int:
    """Render every job with ``work`` (default: ``render_job``), in ``workers`` processes (1: here);
    returns the bytes written."""
    workers = workers or default_workers()
    if work is None:
        return render_all(jobs, workers=workers, work=_render_any, advance=advance, chunk=chunk)
    written = 0
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            written += work(job)
            if advance:
                advance(1)
        return written
    batches = [jobs[i : i + chunk] for i in range(0, len(jobs), chunk)]
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(_batch, work, batch): len(batch) for batch in batches}
        for future in as_completed(futures):
            written += future.result()
            if advance:
                advance(futures[future])
    return written


def _render_any(job: object) -> int:
    assert isinstance(job, Job)
    return render_job(job)


def _batch(work: Callable[[J], int], jobs: Sequence[J]) -> int:
    return sum(work(job) for job in jobs)
