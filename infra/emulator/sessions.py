"""Plugin runs ("sessions"): what was sent, and the logs and responses that came back."""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

REDACTED = "***REDACTED***"


@dataclass
class Session:
    session: str
    plugin_id: str
    payload: dict[str, Any]
    sid: str
    started_at: float = field(default_factory=time.time)
    logs: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    completed_at: float | None = None

    def status(self, timeout_s: float) -> str:
        """From the first response; later ones are kept but never change the verdict."""
        if self.responses:
            return "failed" if self.responses[0].get("error") is True else "completed"
        if time.time() - self.started_at > timeout_s:
            return "timed_out"
        return "running"


@dataclass
class SessionBook:
    """Not thread-safe on its own: the caller holds the state lock."""

    timeout_s: Callable[[], float]
    sessions: dict[str, Session] = field(default_factory=dict)
    orphans: list[dict[str, Any]] = field(default_factory=list)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def start(self, session: str, plugin_id: str, payload: dict[str, Any], sid: str) -> None:
        self.sessions[session] = Session(session, plugin_id, payload, sid)
        logger.info("session %s started for plugin %s on sid %s", session, plugin_id, sid)

    def add_log(self, data: Any, via: str) -> None:
        found = self._find(data)
        if found is None:
            self.orphans.append({"event": "log", "via": via, "data": data})
            return
        found.logs.append(dict(data))

    def add_response(self, data: Any, via: str) -> None:
        found = self._find(data)
        if found is None:
            self.orphans.append({"event": "response", "via": via, "data": data})
            logger.warning("response for unknown session via %s", via)
            return
        found.responses.append(dict(data))
        if found.completed_at is None:
            found.completed_at = time.time()
        logger.info("session %s answered (%d responses)", found.session, len(found.responses))

    def describe(self, session: str) -> dict[str, Any] | None:
        found = self.sessions.get(session)
        if found is None:
            return None
        payload = copy.deepcopy(found.payload)
        if "apiKey" in payload:
            payload["apiKey"] = REDACTED
        return {
            "session": found.session,
            "pluginId": found.plugin_id,
            "sid": found.sid,
            "payload": payload,
            "status": found.status(self.timeout_s()),
            "startedAt": found.started_at,
            "completedAt": found.completed_at,
            "logs": copy.deepcopy(found.logs),
            "responses": copy.deepcopy(found.responses),
        }

    def _find(self, data: Any) -> Session | None:
        if not isinstance(data, dict):
            return None
        key = data.get("session")
        return self.sessions.get(key) if isinstance(key, str) else None
