"""ECS task scale-in protection for container workers.

A worker that holds jobs asks the ECS agent to protect its task, so that scaling the service in
(target tracking on the job backlog, see template.yaml) stops idle workers only; once it holds
none it lifts the protection. The agent's endpoint is `PUT $ECS_AGENT_URI/task-protection/v1/state`.

Outside ECS (`ECS_AGENT_URI` unset) this does nothing. A failed call is logged at WARNING and tried
again later, never raised: without protection a scale-in costs only the SIGTERM path, where the
worker finishes or releases its jobs (handler/worker.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

AGENT_URI_ENV = "ECS_AGENT_URI"
STATE_PATH = "/task-protection/v1/state"
# Protection lapses by itself this long after the last renewal, so a worker that dies holding it
# does not keep its task forever; a held protection is renewed at half of it.
EXPIRES_MINUTES = 60
RETRY_SECONDS = 30.0  # after a failed call, before the same change is tried again
TIMEOUT_SECONDS = 2.0


class TaskProtection:
    """Keeps the task protected while `hold(True)` is called, unprotected on `hold(False)`. Cheap
    when nothing changes (no call to the agent), so a worker may call it on every loop."""

    def __init__(
        self,
        agent_uri: str | None,
        expires_minutes: int = EXPIRES_MINUTES,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = f"{agent_uri.rstrip('/')}{STATE_PATH}" if agent_uri else None
        self._expires_minutes = expires_minutes
        self._timeout = timeout
        self._clock = clock
        self.protected = False
        self._last_wanted = False
        self._next_call = 0.0  # renewal of a held protection, or retry of a failed change

    @classmethod
    def from_environment(cls) -> TaskProtection:
        return cls(os.environ.get(AGENT_URI_ENV) or None)

    def hold(self, busy: bool) -> None:
        """Protect the task while `busy` (the worker holds jobs); lift the protection when not."""
        if self._url is None or not self._due(busy):
            return
        now = self._clock()
        if self._put(busy):
            self.protected = busy
            self._next_call = now + self._expires_minutes * 60 / 2
        else:
            self._next_call = now + RETRY_SECONDS
        self._last_wanted = busy

    def _due(self, busy: bool) -> bool:
        if busy != self.protected:  # a change: at once, unless this very change just failed
            return busy != self._last_wanted or self._clock() >= self._next_call
        return busy and self._clock() >= self._next_call  # renewing a held protection

    def _put(self, enabled: bool) -> bool:
        body: dict[str, Any] = {"ProtectionEnabled": enabled}
        if enabled:
            body["ExpiresInMinutes"] = self._expires_minutes
        request = urllib.request.Request(  # noqa: S310 (the ECS agent's own http URI)
            str(self._url),
            data=json.dumps(body).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        action = "set" if enabled else "lifted"
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read(300).decode(errors="replace")
            logger.warning("task scale-in protection not %s: HTTP %s %s", action, error.code, detail)
            return False
        except (OSError, ValueError) as error:  # refused, timed out, or an answer that is not JSON
            logger.warning("task scale-in protection not %s: %s", action, error)
            return False
        # The agent answers failures it got from ECS (e.g. TASK_NOT_VALID) in the body.
        problem = (answer.get("failure") or answer.get("error")) if isinstance(answer, dict) else None
        if problem:
            logger.warning("task scale-in protection not %s: %s", action, problem)
            return False
        return True
