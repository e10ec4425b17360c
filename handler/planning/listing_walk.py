"""Where to read next in Hub's assets listing, so that assets uploaded while a run lists are never
listed twice, whatever their number.

Hub lists newest first (`sort` defaults to `-createdAt`, and the SDK sends none) and pages by
offset. Every asset uploaded meanwhile therefore pushes the assets not yet listed one place further
down: reading pages 1, 2, 3… in turn shows again as many already-listed assets as were uploaded
between two reads, and after a bulk upload whole pages of them. Each answer's `total` says how far
everything moved, so the walk keeps the position of the next asset not yet listed, moves it by the
growth of `total`, and reads the page that holds it, expecting the same growth again (a steady
upload then costs no extra read). Assets uploaded after the first read are in front of that
position and are not part of the run. An asset deleted meanwhile moves the position back by one,
which is right when it was listed already; when it was not, the listing shows the last listed
asset again, and the planner drops it by its id (the last page's ids are kept for that).
"""

from __future__ import annotations

from dataclasses import dataclass

from handler.contract.ango import PAGE_LIMIT
from handler.contract.records import ListingPosition


def page_to_read(position: ListingPosition) -> int:
    """The page expected to hold the next asset not yet listed (1 for a listing not yet read)."""
    expected = position.next_index + max(0, position.growth)
    return expected // PAGE_LIMIT + 1


@dataclass(frozen=True)
class ListingStep:
    start: int  # the page's assets to take: `assets[start:]` (none when start == len(assets))
    position: ListingPosition  # where the walk stands after taking them
    done: bool  # every asset of the listing was listed


def step(position: ListingPosition, page: int, total: int | None, count: int) -> ListingStep:
    """Read page `page`, whose answer held `count` assets of `total`: which of them are new. A
    `total` Hub left out of a full page (None) says only that more may follow: the walk then
    assumes no growth, and keeps no total to measure the next answer's growth against."""
    first = (page - 1) * PAGE_LIMIT
    if total is None and count < PAGE_LIMIT:  # a short page is the last: it ends the listing
        total = first + count
    if total is None:
        known, total = None, first + count + 1
        growth = 0
    else:
        known = total
        growth = 0 if position.total is None else total - position.total
    wanted = max(0, position.next_index + growth)  # where the next asset not yet listed is now
    moved = ListingPosition(next_index=wanted, total=known, growth=growth)
    if wanted >= total:
        return ListingStep(start=count, position=moved, done=True)
    if not first <= wanted < first + count:  # the listing moved off this page: read again
        # ...unless this was the right page by its own answer, and Hub had nothing there.
        nothing_there = count == 0 and wanted // PAGE_LIMIT + 1 == page
        return ListingStep(start=count, position=moved, done=nothing_there)
    after = ListingPosition(next_index=first + count, total=known, growth=growth)
    return ListingStep(start=wanted - first, position=after, done=first + count >= total)
