"""The run ledger's records for watching and steering runs (see handler/contract/ledger.py for the
layout): the index of runs, the cancel marker, retry rounds, the report, the final message's update."""

from __future__ import annotations

from handler.contract.records import FinalRecord, RetryRecord, RunRecord
from handler.contract.s3_store import S3Store, VersionConflict

PREFIX = "runs/"
INDEX_PREFIX = f"{PREFIX}_index/"  # 4 parts deep, like runs/_active/: never taken for a run's records
_INDEX_BASE = 10**13  # epoch milliseconds stay below it until the year 2286


class SteeringRecords:
    """Mixed into Ledger, whose S3 store it writes through."""

    _store: S3Store

    def index_run(self, run: RunRecord) -> None:
        inverted = _INDEX_BASE - int(run.accepted_at * 1000)
        self._store.put_bytes(f"{INDEX_PREFIX}{inverted:013d}/{run.run_id}", b"")

    def recent_run_ids(self, limit: int | None = None) -> list[str]:
        """Run ids newest first, from the index (runs accepted before it existed are not there)."""
        ids = []
        for key in self._store.keys(INDEX_PREFIX):
            ids.append(key.rsplit("/", 1)[1])
            if limit is not None and len(ids) >= limit:
                break
        return ids

    def run_files(self, run_id: str) -> set[str]:
        """The names directly under `runs/<run_id>/`, from which its state is read."""
        prefix = f"{PREFIX}{run_id}/"
        return {key[len(prefix) :] for key in self._store.keys(prefix) if "/" not in key[len(prefix) :]}

    def mark_cancelled(self, run_id: str) -> bool:
        """False if the run was cancelled before."""
        try:
            self._store.put_bytes(f"{PREFIX}{run_id}/cancelled", b"", only_if_new=True)
        except VersionConflict:
            return False
        return True

    def clear_cancelled(self, run_id: str) -> None:
        self._store.delete(f"{PREFIX}{run_id}/cancelled")

    def unpark_dead_job(self, run_id: str, job_id: str) -> None:
        self._store.delete(f"{PREFIX}{run_id}/dead/{job_id}.json")

    def is_cancelled(self, run_id: str) -> bool:
        return self._store.get_bytes(f"{PREFIX}{run_id}/cancelled") is not None

    def update_final(self, run_id: str, final: FinalRecord) -> None:
        """Replace the recorded final message (after a retry); the run stays answered."""
        self._store.put(f"{PREFIX}{run_id}/final.json", final)

    def save_retry(self, run_id: str, retry: RetryRecord) -> bool:
        """Record a retry round; False if that round exists (two retries at once: one wins)."""
        return self._store.put(f"{PREFIX}{run_id}/retries/{retry.round}.json", retry, only_if_new=True)

    def list_retries(self, run_id: str) -> list[RetryRecord]:
        found = (self._store.get(key, RetryRecord) for key in self._store.keys(f"{PREFIX}{run_id}/retries/"))
        return sorted((retry for retry in found if retry is not None), key=lambda retry: retry.round)

    def save_report(self, run_id: str, html: str) -> None:
        self._store.put_bytes(f"{PREFIX}{run_id}/report.html", html.encode(), content_type="text/html")

    def load_report(self, run_id: str) -> str | None:
        found = self._store.get_bytes(f"{PREFIX}{run_id}/report.html")
        return None if found is None else found[0].decode()
