"""Hub's JSON envelopes, and the request hooks every public endpoint shares (faults, stats, errors)."""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from .errors import ApiError
from .faults import Fault
from .state import HubState

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_emulator"


def success(data: dict[str, Any], status: int = 200) -> tuple[Response, int]:
    return jsonify({"status": "success", "data": data}), status


def fail(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"status": "fail", "message": message}), status


def fault_group(path: str) -> str | None:
    """Which knob group a path's injected faults come from; None for the control API."""
    if path.startswith("/files/"):
        return "files"
    if path == "/v2/import/labels":
        return "import"
    if path.startswith("/v2/"):
        return "rest"
    return None


def fault_response(fault: Fault) -> Response:
    if fault.status == 429:
        response = jsonify({"status": "fail", "message": "Rate limit exceeded"})
        response.headers["Retry-After"] = str(fault.retry_after_s)
    else:
        response = jsonify({"status": "error", "message": "Injected server error"})
    response.status_code = fault.status
    return response


def throttle_response(wait_s: float, with_retry_after: bool) -> Response:
    """The rate limiter's 429: Hub's documented message; Retry-After only when the knob asks for it."""
    response = jsonify({"status": "fail", "message": "Rate limit exceeded"})
    if with_retry_after:
        # Rounded first: float noise must not turn 30 s into 31.
        response.headers["Retry-After"] = str(max(1, math.ceil(round(wait_s, 3))))
    response.status_code = 429
    return response


def _throttled(state: HubState) -> Response | None:
    """Counts the request against its API key; the 429 to send if the key is over its limit."""
    knobs = state.knobs
    wait_s = state.rate_limiter.admit(
        request.headers.get("apikey"), knobs.rate_limit_requests, knobs.rate_limit_window_s, knobs.rate_limit
    )
    if wait_s is None:
        return None
    logger.info("rate limit: refusing %s %s", request.method, request.path)
    return throttle_response(wait_s, knobs.rate_limit_retry_after)


def _answers_after_handling(group: str, fault: Fault, state: HubState) -> bool:
    """An import 5xx from a gateway that gave up while Hub went on; a 429 is answered up front."""
    return group == "import" and fault.status != 429 and state.knobs.import_fault_after_apply


def _before_handling(state: HubState) -> Response | None:
    """Latency, then the rate limit and injected faults: an early answer, or None to go on."""
    group = fault_group(request.path)
    if group is None:
        return None
    state.faults.delay(group)
    # Drawn first, so that the limiter does not shift the seeded draws; a limiter 429 wins.
    fault = state.faults.draw(group)
    throttled = _throttled(state) if group != "files" else None
    if throttled is not None:
        return throttled
    if fault is None:
        return None
    if _answers_after_handling(group, fault, state):
        g.fault_after_handling = fault
        return None
    return fault_response(fault)


def install_hooks(app: Flask, state: HubState) -> None:
    @app.before_request
    def _inject() -> Any:
        return _before_handling(state)

    @app.after_request
    def _finish(response: Response) -> Response:
        # Swap first, so the stats count what the client saw.
        fault: Fault | None = g.pop("fault_after_handling", None)
        if fault is not None:
            logger.info("answering %s %s with the injected %d", request.method, request.path, fault.status)
            response = fault_response(fault)
        if not request.path.startswith(CONTROL_PREFIX):
            rule = request.url_rule.rule if request.url_rule else "<unmatched>"
            state.stats.record(f"{request.method} {rule}", response.status_code)
        return response

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[Response, int]:
        logger.info("%s %s -> %d %s", request.method, request.path, exc.status, exc.message)
        return fail(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        return fail(exc.code or 500, exc.description or exc.name)
