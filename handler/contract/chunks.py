"""Cutting a sequence into pieces of at most `size`: pages, batches, SQS's tens, import calls,
and a run's assets into infer jobs (the planner's, and `retry`'s)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

from handler.contract.messages import MAX_MESSAGE_BYTES, AssetRef, InferJob

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched (Python 3.12), as lists: lazy, so a stream is never held whole."""
    if size < 1:
        raise ValueError("size must be at least 1")
    source = iter(items)
    while chunk := list(islice(source, size)):
        yield chunk


def job_chunks(
    run_id: str, id_format: str, first_seq: int, assets: Sequence[AssetRef], size: int
) -> Iterator[InferJob]:
    """Infer jobs of `size` assets (fewer where the message budget says so), numbered from
    `first_seq` with `id_format` (`{:06d}` for a plan's jobs, `r1-{:06d}` for a retry's)."""
    seq, now = first_seq, time.time()
    for chunk in chunked(assets, size):
        for part in _fit_budget(chunk):
            yield InferJob(run_id=run_id, job_id=id_format.format(seq), assets=tuple(part), queued_at=now)
            seq += 1


def _fit_budget(assets: Sequence[AssetRef]) -> Iterator[Sequence[AssetRef]]:
    """Split a chunk in halves until each fits the message budget (long signed URLs add up)."""
    probe = InferJob(run_id="r" * 64, job_id="r999-000000", assets=tuple(assets), queued_at=time.time())
    if len(probe.model_dump_json().encode()) <= MAX_MESSAGE_BYTES or len(assets) == 1:
        yield assets
        return
    middle = len(assets) // 2
    yield from _fit_budget(assets[:middle])
    yield from _fit_budget(assets[middle:])
