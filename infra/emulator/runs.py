"""Starting a run: what Hub does when a user clicks *Run* on the plugin (protocol §4)."""

from __future__ import annotations

import logging
from typing import Any

from .errors import ApiError
from .sessions import SessionBook
from .state import HubState

logger = logging.getLogger(__name__)

_RUN_KEYS = frozenset(
    {
        "pluginId",
        "projectId",
        "userApiKey",
        "categorySchema",
        "batches",
        "configJSON",
        "rawPayload",
        "nulls",
        "omit",
    }
)
# Payload keys a test may send as JSON null or leave out: Hub's behaviour for them is unknown (§11.5-6).
OPTIONAL_PAYLOAD_KEYS = frozenset({"batches", "orgId", "runBy", "configJSON", "categorySchema"})


def start_run(state: HubState, body: Any) -> str:
    """Emit `plugin` to the plugin's most recently beating socket; returns the session id."""
    if not isinstance(body, dict) or set(body) - _RUN_KEYS:
        raise ApiError(400, f"body must be an object with keys among {sorted(_RUN_KEYS)}")
    plugin_id = body.get("pluginId")
    with state.lock:
        if plugin_id not in state.registry.plugins:
            raise ApiError(404, f"unknown plugin: {plugin_id}")
        sids = state.registry.live_sids(plugin_id)
        if not sids:
            raise ApiError(409, "plugin is not running")
        session, payload = _build(state, body)
        state.sessions.start(session, plugin_id, payload, sids[-1])
    state.emit("plugin", sids[-1], payload)
    return session


def _build(state: HubState, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(session, payload): the raw one verbatim, or one built from the body, less `nulls` / `omit`."""
    nulls, omit = _key_list(body, "nulls"), _key_list(body, "omit")
    if "rawPayload" in body:
        if nulls or omit:
            raise ApiError(400, "nulls and omit do not apply to a rawPayload")
        return _raw(body["rawPayload"])
    session = state.sessions.new_id()
    return session, _strip(_payload(state, body, session), nulls, omit)


def _raw(raw: Any) -> tuple[str, dict[str, Any]]:
    """A verbatim payload, for tests of malformed runs; recorded under its own session if it has one."""
    if not isinstance(raw, dict):
        raise ApiError(400, "rawPayload must be an object")
    session = raw.get("session")
    return (session if isinstance(session, str) else SessionBook.new_id()), raw


def _payload(state: HubState, body: dict[str, Any], session: str) -> dict[str, Any]:
    user = state.user_for_key(body.get("userApiKey"))
    project_id = body.get("projectId")
    if not isinstance(project_id, str) or project_id not in user.projects:
        raise ApiError(403, f"user {user.user_id} cannot run plugins on project {project_id}")
    config = body.get("configJSON", state.registry.plugins[body["pluginId"]].default_config)
    if not isinstance(config, str):
        raise ApiError(400, "configJSON must be a string (Hub sends JSON text)")
    batches = body.get("batches", [])
    if not isinstance(batches, list) or not all(isinstance(b, str) for b in batches):
        raise ApiError(400, "batches must be a list of batch ids")
    return {
        "projectId": project_id,
        "categorySchema": body.get("categorySchema"),
        "apiKey": user.api_key,
        "orgId": user.org_id,
        "runBy": user.user_id,
        "session": session,
        "batches": batches,
        "configJSON": config,
    }


def _key_list(body: dict[str, Any], name: str) -> list[str]:
    keys = body.get(name) or []
    if not isinstance(keys, list) or not all(isinstance(k, str) and k in OPTIONAL_PAYLOAD_KEYS for k in keys):
        raise ApiError(400, f"{name} must be a list of keys among {sorted(OPTIONAL_PAYLOAD_KEYS)}")
    return keys


def _strip(payload: dict[str, Any], nulls: list[str], omit: list[str]) -> dict[str, Any]:
    """The payload with `nulls` set to JSON null and `omit` left out."""
    if set(nulls) & set(omit):
        raise ApiError(400, "a key cannot be both null and omitted")
    return {k: None if k in nulls else v for k, v in payload.items() if k not in omit}
