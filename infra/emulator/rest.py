"""Hub's public side: the `/v2` REST API a Batch Model plugin calls, and the asset file URLs."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Response, request

from .envelope import success
from .errors import ApiError
from .imports import apply_import, plan_import
from .queries import describe_asset, newest_first, page_of, parse_filters, parse_paging, select
from .signing import access_denied, file_path, parse_sign_request, signable_asset
from .state import HubState
from .tasks import check_query_params, describe_task, parse_include_answer, parse_task_filter, select_tasks
from .uploads import upload_copies

logger = logging.getLogger(__name__)

_IMPORT_BODY_KEYS = frozenset({"project", "jsonContent"})


def _json_body(max_bytes: int | None = None) -> Any:
    if max_bytes is not None and (request.content_length or 0) > max_bytes:
        raise ApiError(413, f"request body larger than {max_bytes} bytes")
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "body must be JSON with Content-Type: application/json")
    return body


def _import_body(max_bytes: int) -> tuple[str, Any]:
    """`(project id, jsonContent)` from a body that must be exactly `{"project", "jsonContent"}`."""
    body = _json_body(max_bytes)
    if not isinstance(body, dict) or set(body) != _IMPORT_BODY_KEYS or not isinstance(body["project"], str):
        raise ApiError(400, 'body must be {"project": "<id>", "jsonContent": [...]}')
    return body["project"], body["jsonContent"]


def create_rest_blueprint(state: HubState) -> Blueprint:
    bp = Blueprint("hub_v2", __name__, url_prefix="/v2")

    def _user_project(project_id: str) -> Any:
        user = state.user_for_key(request.headers.get("apikey"))
        return state.project_for(user, project_id)

    @bp.get("/project/<project_id>")
    def get_project(project_id: str) -> Any:
        with state.lock:
            return success({"project": _user_project(project_id).describe()})

    @bp.get("/project/<project_id>/assets")
    def get_assets(project_id: str) -> Any:
        with state.lock:
            project = _user_project(project_id)
            page, limit = parse_paging(request.args)
            upload_copies(project, state.knobs.uploads_per_listing)
            matching = newest_first(select(project, parse_filters(request.args.get("filters"), project)))
            assets = [describe_asset(a, project.id, state.base_url) for a in page_of(matching, page, limit)]
            return success({"assets": assets, "total": len(matching)})

    @bp.get("/project/<project_id>/tasks")
    def get_tasks(project_id: str) -> Any:
        with state.lock:
            project = _user_project(project_id)
            check_query_params(request.args)
            page, limit = parse_paging(request.args)
            include_answer = parse_include_answer(request.args.get("includeAnswer"))
            conditions = parse_task_filter(request.args.get("filter"), project)
            upload_copies(project, state.knobs.uploads_per_listing)
            knobs = state.knobs
            matching = newest_first(select_tasks(project, conditions, knobs.consensus_tasks))
            tasks = [
                describe_task(a, project.id, include_answer, state.base_url, knobs.task_asset_form, n)
                for a, n in page_of(matching, page, limit)
            ]
            return success({"tasks": tasks, "total": len(matching)})

    @bp.post("/import/labels")
    def import_labels() -> Any:
        user = state.user_for_key(request.headers.get("apikey"))
        project_id, items = _import_body(state.knobs.max_body_bytes)
        with state.lock:
            project = state.project_for(user, project_id)
            plan = plan_import(project, items, state.base_url, state.knobs.max_import_items)
            counts = apply_import(plan, state.knobs.import_mode)
            project.note_import(time.time())
        logger.info("import into %s: %s", project.id, counts)
        state.faults.delay_import_ack()
        return success(counts)

    @bp.post("/pluginLog")
    def plugin_log() -> Any:
        return _record("log")

    @bp.post("/pluginResponse")
    def plugin_response() -> Any:
        return _record("response")

    def _record(kind: str) -> Any:
        state.user_for_key(request.headers.get("apikey"))
        body = _json_body()
        if not isinstance(body, dict):
            raise ApiError(400, "body must be a JSON object")
        with state.lock:
            add = state.sessions.add_log if kind == "log" else state.sessions.add_response
            add(body, "rest")
        return success({})

    _add_signing_route(bp, state)
    return bp


def _add_signing_route(bp: Blueprint, state: HubState) -> None:
    """`GET /v2/getSignedUrl` as `SDK._get_signed_url` calls it (see `signing.py`)."""

    @bp.get("/getSignedUrl")
    def get_signed_url() -> Any:
        user = state.user_for_key(request.headers.get("apikey"))
        repeated = {k for k in request.args if len(request.args.getlist(k)) > 1}
        name, project_id = parse_sign_request(request.args, repeated)
        with state.lock:
            asset = signable_asset(state.project_for(user, project_id), name, state.base_url)
            path = file_path(project_id, asset.filename)
            return success({"signedUrl": state.signer.sign(name, path, state.knobs.signed_url_ttl_s)})


def create_files_blueprint(state: HubState) -> Blueprint:
    """Asset bytes, like bucket URLs: no apikey; a private asset's URL needs a signature, and a bad
    signature is refused on any asset. A private asset's signature is checked before its file."""
    bp = Blueprint("hub_files", __name__)

    @bp.get("/files/<project_id>/<filename>")
    def get_file(project_id: str, filename: str) -> Response:
        with state.lock:
            project = state.projects.get(project_id)
            asset = project.asset_by_filename(filename) if project else None
            content = asset.file(filename) if asset else None
            if asset is None or content is None or asset.data_missing:
                raise ApiError(404, f"no such file: {project_id}/{filename}")
            problem = state.signer.problem(file_path(project_id, filename), request.args, asset.private)
            if problem is not None:
                return access_denied(*problem)
            if not asset.file_present:
                raise ApiError(404, f"no such file: {project_id}/{filename}")
            asset.downloads += 1
            return Response(content, mimetype=asset.content_type)

    return bp
