"""Cutting a sequence into pieces of at most `size`: pages, batches, SQS's tens, import calls."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """itertools.batched (Python 3.12), as lists: lazy, so a stream is never held whole."""
    if size < 1:
        raise ValueError("size must be at least 1")
    source = iter(items)
    while chunk := list(islice(source, size)):
        yield chunk
