"""Turning a `plugin` event into an accepted run: validate, resolve, record, enqueue the plan.

Runs off the socket thread. A run that cannot start raises `RunRejected` with a user-facing
message, and nothing is enqueued for it.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handler.ango import AngoClient, AngoError
from handler.job import PlanJob
from handler.ledger import Ledger, RunRecord
from handler.model import ModelSpec
from handler.queues import MessageQueue
from handler.retry import TransientError
from handler.run_config import ConfigError, parse_config_json
from listener.mapping import MappingError, resolve_targets
from listener.payload import PayloadError, PluginRun, parse_plugin_run

logger = logging.getLogger(__name__)


class RunRejected(Exception):
    """The run cannot start; str(exc) is the message for the user."""


def run_id_for(plugin_id: str, session: str) -> str:
    # Derived, not random: Hub sending the same session twice maps to the same run.
    return hashlib.sha256(f"{plugin_id}\x00{session}".encode()).hexdigest()[:32]


@dataclass
class RunAcceptor:
    plugin_id: str
    spec: ModelSpec
    ledger: Ledger
    jobs: MessageQueue
    ango: Callable[[str], AngoClient]

    def accept(self, data: Any) -> RunRecord | None:
        """The recorded run, or None when this session was accepted before (a repeated event)."""
        try:
            payload = parse_plugin_run(data)
            config, _ = parse_config_json(payload.configJSON, self.spec)
            project = self._project(payload)
            targets = resolve_targets(payload.categorySchema, project, self.spec)
        except (PayloadError, ConfigError, MappingError) as exc:
            raise RunRejected(str(exc)) from None
        run_id = run_id_for(self.plugin_id, payload.session)
        run = RunRecord(
            run_id=run_id,
            session=payload.session,
            plugin_id=self.plugin_id,
            project_id=payload.projectId,
            org_id=payload.orgId,
            run_by=payload.runBy,
            batches=tuple(payload.batches),
            targets=targets,
            config=config.model_dump(),
            api_key_ciphertext=self.ledger.encrypt_api_key(run_id, payload.apiKey),
            accepted_at=time.time(),
        )
        if not self.ledger.create_run(run):
            logger.info("run %s: session seen before; not enqueued again", run_id)
            return None
        self.jobs.send(PlanJob(run_id=run_id))
        self.ledger.mark_queued(run_id)  # a listener killed before this line re-sends on restart
        logger.info("run %s: accepted (project %s, %d classes)", run_id, run.project_id, len(targets))
        return run

    def _project(self, payload: PluginRun) -> dict[str, Any]:
        try:
            return self.ango(payload.apiKey).get_project(payload.projectId)
        except AngoError as exc:
            if exc.status in (401, 403):
                message = f"Ango Hub refused the API key ({exc.status}: {exc.hub_message})."
                raise RunRejected(message) from None
            raise RunRejected(
                f"Could not open project {payload.projectId}: Ango Hub answered {exc.status} "
                f"({exc.hub_message})."
            ) from None
        except TransientError:
            message = "Ango Hub is not answering right now; please run the plugin again later."
            raise RunRejected(message) from None
