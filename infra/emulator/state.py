"""Everything the emulator knows, behind one lock, plus the lookups every endpoint needs."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any

from .errors import ApiError
from .faults import FaultInjector
from .knobs import Knobs
from .liveness import PluginRegistry
from .model import Project, User
from .rate_limit import RateLimiter
from .seed import Seed, parse_seed
from .sessions import SessionBook
from .signing import UrlSigner
from .stats import RequestStats

logger = logging.getLogger(__name__)

Emitter = Callable[[str, str, dict[str, Any]], None]  # (event, sid, data)


def _no_socket(event: str, sid: str, data: dict[str, Any]) -> None:
    raise RuntimeError("no Socket.IO server attached")


class HubState:
    def __init__(self, knobs: Knobs, spec: dict[str, Any]) -> None:
        self.lock = threading.RLock()
        self.knobs = knobs
        self._initial_knobs = dataclasses.replace(knobs)
        self._initial_spec = spec
        self.faults = FaultInjector(knobs)
        self.stats = RequestStats()
        self.rate_limiter = RateLimiter()
        self.signer = UrlSigner()  # one secret per process, kept across resets
        self.registry = PluginRegistry(timeout_s=lambda: self.knobs.heartbeat_timeout_s)
        self.sessions = SessionBook(timeout_s=lambda: self.knobs.session_timeout_s)
        self.users: dict[str, User] = {}
        self.projects: dict[str, Project] = {}
        self.base_url = ""
        self.emit: Emitter = _no_socket
        self.disconnect: Callable[[str], None] = lambda sid: None
        self.load(parse_seed(spec))

    def load(self, seed: Seed) -> None:
        """Add or replace (by id) the seed's plugins, users and projects."""
        with self.lock:
            for plugin in seed.plugins:
                self.registry.add(plugin)
            for user in seed.users:
                self._add_user(user)
            for project in seed.projects:
                self.projects[project.id] = project
        logger.info("loaded %d projects, %d users", len(seed.projects), len(seed.users))

    def _add_user(self, user: User) -> None:
        """A user seeded again keeps the projects it could already see."""
        previous = [k for k, u in self.users.items() if u.user_id == user.user_id]
        for key in previous:
            user.projects |= self.users.pop(key).projects
        self.users[user.api_key] = user

    def reset(self) -> None:
        """Back to the start-up seed and knobs; live sockets stay bound."""
        with self.lock:
            self.projects.clear()
            self.users.clear()
            self.knobs.update(self._initial_knobs.as_dict())
            self.load(parse_seed(self._initial_spec))
            self.sessions.sessions.clear()
            self.sessions.orphans.clear()
            self.stats.reset()
            self.rate_limiter.reset()
            self.faults.reseed()

    def user_for_key(self, api_key: str | None) -> User:
        user = self.users.get(api_key or "")
        if user is None:
            raise ApiError(401, "Invalid API KEY")
        return user

    def project_for(self, user: User, project_id: str) -> Project:
        """Unknown and not-shared projects look the same (404), so ids cannot be probed."""
        project = self.projects.get(project_id)
        if project is None or project_id not in user.projects:
            raise ApiError(404, f"Invalid project: {project_id}")
        return project
