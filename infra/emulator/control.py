"""A small typed client for the emulator's `/_emulator` control API, for tests and the demo."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

logger = logging.getLogger(__name__)

_TIMEOUT_S = 10.0
_POLL_S = 0.05


class EmulatorError(RuntimeError):
    """The control API refused a request; `status` and `body` say why."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"emulator answered {status}: {body}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class ProjectSummary:
    """Label counts of one project (`GET /_emulator/projects/<id>/summary`).

    `duplicate_objects` counts objects whose objectId already occurred earlier on the same asset and
    frame (`page`): 0
    unless an import was applied twice. `imports` counts applied imports, including ones the client
    saw fail (`import_fault_after_apply`). Times are `time.time()` values, None before any import.
    """

    project_id: str
    assets: int
    prelabeled_assets: int
    objects: int
    duplicate_objects: int
    imports: int
    first_import_at: float | None
    last_import_at: float | None


class EmulatorControl:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = requests.Session()

    def close(self) -> None:
        self._http.close()

    def start_run(
        self,
        plugin_id: str,
        project_id: str,
        user_api_key: str,
        category_schema: list[dict[str, Any]] | None = None,
        batches: list[str] | None = None,
        config_json: str | None = None,
        raw_payload: dict[str, Any] | None = None,
        nulls: list[str] | None = None,
        omit: list[str] | None = None,
    ) -> str:
        """What a user clicking *Run* does; returns the session id. EmulatorError(409) if not live.

        `nulls` / `omit` name payload keys among batches, orgId, runBy, configJSON, categorySchema to send
        as JSON null / leave out. `category_schema` entries go out as given (e.g. `{"schemaId": None}`).
        """
        body: dict[str, Any] = {
            "pluginId": plugin_id,
            "projectId": project_id,
            "userApiKey": user_api_key,
            "categorySchema": category_schema,
            "batches": batches or [],
        }
        if config_json is not None:
            body["configJSON"] = config_json
        if raw_payload is not None:
            body["rawPayload"] = raw_payload
        if nulls:
            body["nulls"] = list(nulls)
        if omit:
            body["omit"] = list(omit)
        session: str = self._call("POST", "/runs", body)["session"]
        return session

    def session(self, session: str) -> dict[str, Any]:
        return self._call("GET", f"/sessions/{session}")

    def orphans(self) -> list[dict[str, Any]]:
        orphans: list[dict[str, Any]] = self._call("GET", "/orphans")["orphans"]
        return orphans

    def wait_for_response(self, session: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll until the session has a response; returns the session. TimeoutError otherwise."""
        return self._wait(lambda: self.session(session), lambda s: bool(s["responses"]), timeout, session)

    def plugin(self, plugin_id: str) -> dict[str, Any]:
        return self._call("GET", f"/plugins/{plugin_id}")

    def wait_for_plugin_live(
        self, plugin_id: str, timeout: float = 30.0, min_beats: int = 1
    ) -> dict[str, Any]:
        """Poll until the plugin is live with at least `min_beats` valid heartbeats in total."""

        def ready(s: dict[str, Any]) -> bool:
            return bool(s["live"]) and int(s["heartbeatCount"]) >= min_beats

        return self._wait(lambda: self.plugin(plugin_id), ready, timeout, plugin_id)

    def disconnect_plugin(self, plugin_id: str) -> list[str]:
        """Server-side disconnect of every socket bound to the plugin."""
        sids: list[str] = self._call("POST", f"/plugins/{plugin_id}/disconnect")["disconnected"]
        return sids

    def labels(self, project_id: str) -> dict[str, Any]:
        return self._call("GET", f"/projects/{project_id}/labels")

    def project_summary(self, project_id: str) -> ProjectSummary:
        """Pre-labeled assets, objects, duplicate objectIds and import times of one project."""
        return ProjectSummary(**self._call("GET", f"/projects/{project_id}/summary"))

    def wait_for_imports(self, project_id: str, count: int = 1, timeout: float = 30.0) -> ProjectSummary:
        """Poll until at least `count` imports into the project were applied; TimeoutError otherwise.

        Applied is not answered: with `import_ack_delay_ms` this returns while the client still waits.
        """
        last = self._wait(
            lambda: self._call("GET", f"/projects/{project_id}/summary"),
            lambda s: int(s["imports"]) >= count,
            timeout,
            f"{count} import(s) into {project_id}",
        )
        return ProjectSummary(**last)

    def set_task_status(
        self,
        project_id: str,
        status: str,
        asset_ids: list[str] | None = None,
        external_ids: list[str] | None = None,
    ) -> int:
        body = {"status": status, "assetIds": asset_ids or [], "externalIds": external_ids or []}
        updated: int = self._call("POST", f"/projects/{project_id}/task-status", body)["updated"]
        return updated

    def set_files_present(self, project_id: str, present: bool, external_ids: list[str]) -> int:
        """Make these assets' files answer 404 (False) or serve again (True)."""
        body = {"present": present, "externalIds": external_ids}
        updated: int = self._call("POST", f"/projects/{project_id}/files", body)["updated"]
        return updated

    def stats(self) -> dict[str, dict[str, int]]:
        requests_by_endpoint: dict[str, dict[str, int]] = self._call("GET", "/stats")["requests"]
        return requests_by_endpoint

    def rate_limit_stats(self) -> dict[str, dict[str, int]]:
        """`{"<rate_limit.key_fingerprint(key)>": {"requests": n, "throttled": n}}`: every /v2 call with
        the key (also while the limit is off), and the limiter's 429s (not `rest_429_rate`'s)."""
        by_key: dict[str, dict[str, int]] = self._call("GET", "/stats")["rate_limit"]
        return by_key

    def throttled_total(self) -> int:
        """All 429s the rate limiter answered, over every key."""
        total: int = self._call("GET", "/stats")["throttled"]
        return total

    def reset_stats(self) -> None:
        """Clears request counts and the rate limiter's counts and windows."""
        self._call("POST", "/stats/reset")

    def configure(self, **knobs: Any) -> dict[str, Any]:
        """Change knobs at run time (see `infra.emulator.knobs.Knobs`); returns them all."""
        return self._call("POST", "/config", knobs)

    def config(self) -> dict[str, Any]:
        return self._call("GET", "/config")

    def seed(self, spec: dict[str, Any]) -> list[str]:
        """Add or replace projects, users and plugins; asset bytes go as `contentBase64`."""
        ids: list[str] = self._call("POST", "/projects", spec)["projects"]
        return ids

    def reset(self) -> None:
        """Back to the start-up seed and knobs: labels, sessions and stats are cleared."""
        self._call("POST", "/reset")

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self._http.request(
            method, f"{self.base_url}/_emulator{path}", json=body, timeout=_TIMEOUT_S
        )
        payload = response.json()
        if response.status_code >= 400:
            raise EmulatorError(response.status_code, payload)
        if not isinstance(payload, dict):
            raise EmulatorError(response.status_code, payload)
        return payload

    @staticmethod
    def _wait(
        fetch: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], timeout: float, what: str
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            last: dict[str, Any] = fetch()
            if done(last):
                return last
            if time.monotonic() >= deadline:
                raise TimeoutError(f"gave up on {what} after {timeout:.1f}s; last state: {last}")
            time.sleep(_POLL_S)
