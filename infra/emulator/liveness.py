"""Which plugins are live: bound to a socket by a valid heartbeat that is recent enough."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import Plugin

logger = logging.getLogger(__name__)


@dataclass
class _Binding:
    plugin_id: str
    last_beat: float  # monotonic, for expiry
    last_beat_wall: float  # epoch seconds, for reporting


@dataclass
class _Counters:
    accepted: int = 0
    rejected: int = 0
    last_beat_wall: float | None = None


@dataclass
class PluginRegistry:
    """Not thread-safe on its own: the caller holds the state lock."""

    timeout_s: Callable[[], float]
    plugins: dict[str, Plugin] = field(default_factory=dict)
    _bindings: dict[str, _Binding] = field(default_factory=dict)
    _counters: dict[str, _Counters] = field(default_factory=dict)
    # Events are handled on their own threads, so a heartbeat can be handled after its socket's
    # disconnect; only sids that are still connected may be bound.
    _connected: set[str] = field(default_factory=set)

    def add(self, plugin: Plugin) -> None:
        self.plugins[plugin.id] = plugin

    def connect(self, sid: str) -> None:
        self._connected.add(sid)

    def heartbeat(self, sid: str, data: Any) -> bool:
        """Bind `sid` on valid credentials; a bad beat unbinds the sid (the stricter reading)."""
        plugin = self._authenticate(data)
        if sid not in self._connected:
            logger.info("ignoring heartbeat from gone sid %s", sid)
            return False
        if plugin is None:
            dropped = self._bindings.pop(sid, None)
            claimed = data.get("id") if isinstance(data, dict) else None
            if isinstance(claimed, str) and claimed in self.plugins:
                self._counter(claimed).rejected += 1
            logger.warning("rejected heartbeat on sid %s (was bound: %s)", sid, dropped is not None)
            return False
        now, wall = time.monotonic(), time.time()
        self._bindings[sid] = _Binding(plugin.id, now, wall)
        counter = self._counter(plugin.id)
        counter.accepted += 1
        counter.last_beat_wall = wall
        return True

    def disconnect(self, sid: str) -> None:
        self._connected.discard(sid)
        if self._bindings.pop(sid, None) is not None:
            logger.info("bound sid %s disconnected", sid)

    def live_sids(self, plugin_id: str) -> list[str]:
        """Live sids of a plugin, most recent heartbeat last."""
        limit = time.monotonic() - self.timeout_s()
        fresh = [(b.last_beat, sid) for sid, b in self._bindings.items() if b.plugin_id == plugin_id]
        return [sid for beat, sid in sorted(fresh) if beat >= limit]

    def status(self, plugin_id: str) -> dict[str, Any]:
        sids = self.live_sids(plugin_id)
        counter = self._counter(plugin_id)
        return {
            "pluginId": plugin_id,
            "live": bool(sids),
            "sid": sids[-1] if sids else None,
            "liveSids": sids,
            "lastHeartbeat": counter.last_beat_wall,
            "heartbeatCount": counter.accepted,
            "rejectedHeartbeats": counter.rejected,
        }

    def bound_sids(self, plugin_id: str) -> list[str]:
        return [sid for sid, b in self._bindings.items() if b.plugin_id == plugin_id]

    def _authenticate(self, data: Any) -> Plugin | None:
        if not isinstance(data, dict):
            return None
        plugin_id, secret = data.get("id"), data.get("secret")
        if not isinstance(plugin_id, str) or not isinstance(secret, str):
            return None
        plugin = self.plugins.get(plugin_id)
        if plugin is None:
            return None
        ok = hmac.compare_digest(secret.encode(), plugin.secret.encode())
        return plugin if ok else None

    def _counter(self, plugin_id: str) -> _Counters:
        return self._counters.setdefault(plugin_id, _Counters())
