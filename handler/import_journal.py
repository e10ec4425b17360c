"""Which of a job's assets have had their pre-labels imported: the record that makes imports
exactly-once in effect when a job is redelivered, retried, or run twice at once.

One ledger object per job maps asset id -> (objects, done). An asset is written as *in doubt*
before its import call and as *done* once Hub has answered. A later attempt of the job imports
nothing that is done; an asset left in doubt may or may not have reached Hub (the process died
mid-call, or Hub failed in a way that may have applied), so Hub is asked before it is imported
again (see handler/importer.py).

Every write is conditional on the version read, so two attempts of one job running at once cannot
both import: the slower one gets ImportConflict, fails, and its message comes back later, when the
journal says what the faster one did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from handler.contract.ledger import Ledger
from handler.contract.records import AssetImport, ImportRecord


class ImportJournal:
    def __init__(self, ledger: Ledger, run_id: str, job_id: str) -> None:
        self._ledger, self._run_id, self._job_id = ledger, run_id, job_id
        self._record, self._version = ledger.load_imports(run_id, job_id)

    @property
    def is_new(self) -> bool:
        """No attempt of this job has written to it yet."""
        return self._version is None

    def done(self) -> dict[str, int]:
        """Asset id -> objects imported, for assets whose import Hub confirmed."""
        return {asset_id: entry.objects for asset_id, entry in self._record.assets.items() if entry.done}

    def in_doubt(self) -> set[str]:
        """Assets whose import started but was never confirmed: ask Hub before importing them."""
        return {asset_id for asset_id, entry in self._record.assets.items() if not entry.done}

    def mark_in_doubt(self, objects: Mapping[str, int]) -> None:
        """Record that these assets are about to be imported (asset id -> objects in the import):
        until `settle`, nobody knows whether they landed."""
        self._write({asset_id: AssetImport(objects=count, done=False) for asset_id, count in objects.items()})

    def settle(self, done: Mapping[str, int], not_imported: Iterable[str] = ()) -> None:
        """Record imports Hub confirmed, and forget ones known not to have landed."""
        changes: dict[str, AssetImport | None] = {
            asset_id: AssetImport(objects=count, done=True) for asset_id, count in done.items()
        }
        changes.update({asset_id: None for asset_id in not_imported})
        self._write(changes)

    def _write(self, changes: Mapping[str, AssetImport | None]) -> None:
        if not changes:
            return
        assets = dict(self._record.assets)
        for asset_id, entry in changes.items():
            if entry is None:
                assets.pop(asset_id, None)
            else:
                assets[asset_id] = entry
        record = ImportRecord(assets=assets)
        self._version = self._ledger.save_imports(self._run_id, self._job_id, record, self._version)
        self._record = record
