"""`/_emulator/...`: the unauthenticated inspection and control API that tests and the demo use."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, request

from .errors import ApiError
from .model import TASK_STATUSES, Project
from .runs import start_run
from .seed import parse_seed
from .state import HubState
from .summary import summarize

logger = logging.getLogger(__name__)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")
    return body


def _labels(project: Project) -> dict[str, Any]:
    assets = [
        {
            "_id": a.id,
            "externalId": a.external_id,
            "batches": list(a.batches),
            "status": a.status,
            "isPreLabeled": a.is_prelabeled,
            "answer": a.answer,
            "importCount": a.import_count,
            "downloads": a.downloads,  # its file (or pages) served with 200, since the seed or reset
        }
        for a in project.assets
    ]
    return {"projectId": project.id, "assets": assets}


def create_control_blueprint(state: HubState) -> Blueprint:
    bp = Blueprint("emulator_control", __name__, url_prefix="/_emulator")
    _add_run_routes(bp, state)
    _add_project_routes(bp, state)
    _add_file_routes(bp, state)
    _add_admin_routes(bp, state)
    return bp


def _add_run_routes(bp: Blueprint, state: HubState) -> None:
    @bp.post("/runs")
    def runs() -> Any:
        return jsonify({"session": start_run(state, request.get_json(silent=True))}), 201

    @bp.get("/plugins/<plugin_id>")
    def plugin(plugin_id: str) -> Any:
        with state.lock:
            if plugin_id not in state.registry.plugins:
                raise ApiError(404, f"unknown plugin: {plugin_id}")
            return jsonify(state.registry.status(plugin_id))

    @bp.post("/plugins/<plugin_id>/disconnect")
    def disconnect(plugin_id: str) -> Any:
        with state.lock:
            sids = state.registry.bound_sids(plugin_id)
        for sid in sids:
            state.disconnect(sid)
        return jsonify({"disconnected": sids})

    @bp.get("/sessions")
    def sessions() -> Any:
        with state.lock:
            return jsonify({"sessions": list(state.sessions.sessions)})

    @bp.get("/sessions/<session>")
    def session(session: str) -> Any:
        with state.lock:
            found = state.sessions.describe(session)
        if found is None:
            raise ApiError(404, f"unknown session: {session}")
        return jsonify(found)

    @bp.get("/orphans")
    def orphans() -> Any:
        with state.lock:
            return jsonify({"orphans": list(state.sessions.orphans)})


def _add_project_routes(bp: Blueprint, state: HubState) -> None:
    def _project(project_id: str) -> Project:
        project = state.projects.get(project_id)
        if project is None:
            raise ApiError(404, f"unknown project: {project_id}")
        return project

    @bp.get("/projects/<project_id>/labels")
    def labels(project_id: str) -> Any:
        with state.lock:
            return jsonify(_labels(_project(project_id)))

    @bp.get("/projects/<project_id>/summary")
    def summary(project_id: str) -> Any:
        with state.lock:
            return jsonify(summarize(_project(project_id)))

    @bp.post("/projects")
    def seed() -> Any:
        try:
            parsed = parse_seed(_body())
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        state.load(parsed)
        return jsonify({"projects": [p.id for p in parsed.projects]}), 201

    @bp.post("/projects/<project_id>/task-status")
    def task_status(project_id: str) -> Any:
        body = _body()
        status = body.get("status")
        if status not in TASK_STATUSES:
            raise ApiError(400, f"status must be one of {sorted(TASK_STATUSES)}")
        ids, external = set(body.get("assetIds", [])), set(body.get("externalIds", []))
        with state.lock:
            hits = [a for a in _project(project_id).assets if a.id in ids or a.external_id in external]
            for asset in hits:
                asset.status = status
        return jsonify({"updated": len(hits)})


def _assets_of(state: HubState, project_id: str) -> list[Any]:
    project = state.projects.get(project_id)
    if project is None:
        raise ApiError(404, f"unknown project: {project_id}")
    return list(project.assets)


def _add_file_routes(bp: Blueprint, state: HubState) -> None:
    @bp.post("/projects/<project_id>/files")
    def files(project_id: str) -> Any:
        """Make assets' files answer 404 (`"present": false`) or come back (`true`): a storage host
        that loses a file and recovers. An asset without a data URL stays without one."""
        body = _body()
        present, external = body.get("present"), set(body.get("externalIds", []))
        if not isinstance(present, bool):
            raise ApiError(400, "present must be true or false")
        with state.lock:
            hits = [
                a for a in _assets_of(state, project_id) if a.external_id in external and not a.data_missing
            ]
            for asset in hits:
                asset.file_present = present
        return jsonify({"updated": len(hits)})


def _add_admin_routes(bp: Blueprint, state: HubState) -> None:
    @bp.get("/health")
    def health() -> Any:
        return jsonify({"status": "ok", "baseUrl": state.base_url})

    @bp.get("/config")
    def get_config() -> Any:
        return jsonify(state.knobs.as_dict())

    @bp.post("/config")
    def set_config() -> Any:
        changes = _body()
        with state.lock:
            try:
                state.knobs.update(changes)
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
            if "fault_seed" in changes:
                state.faults.reseed()
        logger.info("knobs changed: %s", changes)
        return jsonify(state.knobs.as_dict())

    @bp.get("/stats")
    def stats() -> Any:
        limiter = state.rate_limiter
        return jsonify(
            {
                "requests": state.stats.snapshot(),
                "rate_limit": limiter.snapshot(),
                "throttled": limiter.throttled_total(),
            }
        )

    @bp.post("/stats/reset")
    def reset_stats() -> Any:
        state.stats.reset()
        state.rate_limiter.reset()
        return jsonify({"requests": {}, "rate_limit": {}, "throttled": 0})

    @bp.post("/reset")
    def reset() -> Any:
        state.reset()
        return jsonify({"status": "ok"})
