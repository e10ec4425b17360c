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

from handler.contract.ango import AngoClient
from handler.contract.hub_http import AngoError
from handler.contract.hub_shapes import HubShapeError
from handler.contract.ledger import Ledger
from handler.contract.messages import PlanJob
from handler.contract.model import ModelSpec
from handler.contract.queues import MessageQueue
from handler.contract.records import ClassTarget, RunRecord
from handler.contract.redaction import in_flight
from handler.contract.retry import TransientError
from handler.contract.run_config import ConfigError, RunConfig, parse_config_json
from listener.mapping import MappingError, resolve_targets
from listener.payload import PayloadError, PluginRun, parse_plugin_run
from listener.run_control import ControlRefused, cancel_project_runs, last_finished_run, retry_run

logger = logging.getLogger(__name__)


ACTIVE_RUN_MAX_AGE_SECONDS = 24 * 3600  # a run not answered in a day blocks no one any more


class RunRejected(Exception):
    """The run cannot start; str(exc) is the message for the user."""


def run_id_for(plugin_id: str, session: str) -> str:
    # Derived, not random: Hub sending the same session twice maps to the same run.
    return hashlib.sha256(f"{plugin_id}\x00{session}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ActionDone:
    """A control click (cancel, retry_failed) was done; `message` answers its session."""

    message: str


@dataclass
class RunAcceptor:
    plugin_id: str
    spec: ModelSpec[Any]
    ledger: Ledger
    jobs: MessageQueue
    ango: Callable[[str], AngoClient]
    status: MessageQueue | None = None  # where a retry click tells the relay about the retry

    def accept(self, data: Any) -> RunRecord | ActionDone | None:
        """The recorded run, or what a control click did, or None when this session was accepted
        before (a repeated event)."""
        try:
            payload = parse_plugin_run(data)
            config, _ = parse_config_json(payload.configJSON, self.spec)
            # With the clicking user's own key: a user who cannot open the project cannot steer
            # its runs either (401/403/404 refuse the click), whoever started them.
            project = self._project(payload)
            if config.action != "run":
                return self._act(config.action, payload.projectId)
            _check_project_type(project, payload.projectId)
            targets = resolve_targets(payload.mapped_classes(self.spec.classes), project, self.spec)
        except (PayloadError, ConfigError, MappingError) as exc:
            raise RunRejected(str(exc)) from None
        run_id = run_id_for(self.plugin_id, payload.session)
        if config.existing == "skip":
            self._refuse_overlap(payload.projectId, run_id)
        run = self._record(run_id, payload, config, targets)
        if not self.ledger.create_run(run):
            logger.info("run %s: session seen before; not enqueued again", run_id)
            return None
        self.ledger.mark_active(run.project_id, run_id)
        self.ledger.index_run(run)
        self.jobs.send(PlanJob(run_id=run_id))
        self.ledger.mark_queued(run_id)  # a listener killed before this line re-sends on restart
        logger.info("run %s: accepted (project %s, %d classes)", run_id, run.project_id, len(targets))
        return run

    def _act(self, action: str, project_id: str) -> ActionDone:
        try:
            if action == "cancel":
                return ActionDone(_cancelled_message(cancel_project_runs(self.ledger, project_id)))
            run = last_finished_run(self.ledger, project_id)
            if run is None:
                raise ControlRefused("this project has no finished run to retry")
            return ActionDone(
                f"Retry: {retry_run(self.ledger, self.jobs, self.status, run.run_id).sentence(run.run_id)}."
            )
        except ControlRefused as exc:
            raise RunRejected(f"Nothing done: {exc}.") from None

    def _record(
        self, run_id: str, payload: PluginRun, config: RunConfig, targets: tuple[ClassTarget, ...]
    ) -> RunRecord:
        return RunRecord(
            run_id=run_id,
            session=payload.session,
            plugin_id=self.plugin_id,
            project_id=payload.projectId,
            org_id=payload.orgId,
            run_by=payload.runBy,
            batches=tuple(payload.batches),
            targets=targets,
            config=config,
            api_key_ciphertext=self.ledger.encrypt_api_key(run_id, payload.apiKey),
            accepted_at=time.time(),
        )

    def _refuse_overlap(self, project_id: str, run_id: str) -> None:
        """A run that skips pre-labeled assets judges by Hub's isPreLabeled, which a run still
        importing has not set yet: two at once would label the same assets twice. Markers of runs
        answered, or accepted more than a day ago, are cleared instead."""
        for other in self.ledger.active_runs(project_id):
            record = self.ledger.load_run(other) if other != run_id else None
            if record is None:
                continue
            age = time.time() - record.accepted_at
            if age < ACTIVE_RUN_MAX_AGE_SECONDS and self.ledger.load_final(other) is None:
                raise RunRejected(
                    f"Another run on this project started {age / 60:.0f} min ago and is still going; "
                    'run again once it has finished, or set "existing": "add" in the Config JSON to '
                    "label alongside it."
                )
            self.ledger.clear_active(project_id, other)

    def _project(self, payload: PluginRun) -> dict[str, Any]:
        with in_flight(payload.apiKey):
            return self._fetch_project(payload)

    def _fetch_project(self, payload: PluginRun) -> dict[str, Any]:
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
        except HubShapeError as exc:
            message = f"Could not read Ango Hub's answer for project {payload.projectId}: {exc}"
            raise RunRejected(message) from None


def _cancelled_message(runs: list[RunRecord]) -> str:
    if not runs:
        return "Nothing to cancel: no run on this project is going."
    started = "; ".join(
        f"{run.run_id} started by {run.run_by or 'unknown'} at {_clock(run.accepted_at)}" for run in runs
    )
    return f"Cancelled {len(runs)} runs on this project: {started}."


def _clock(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


# ProjectType in imerit-ango (models/enums.py): "ango" is a standard project, whatever media its
# assets are; these two hold no assets a Batch Model can pre-label through `import_labels`.
REFUSED_PROJECT_TYPES = {"pct": "point cloud", "iframe": "iframe"}


def _check_project_type(project: dict[str, Any], project_id: str) -> None:
    """A project's `type` is not its media: "ango", a missing or null type, or any value Hub may add
    later runs, and each asset's media is judged on its own. Only the two kinds known to hold no
    such assets are refused, naming the type."""
    kind = project.get("type")
    name = REFUSED_PROJECT_TYPES.get(kind.lower()) if isinstance(kind, str) else None
    if name is not None:
        raise MappingError(
            f"Project {project_id} is a {name} project (type {kind!r}); this plugin pre-labels "
            "the assets of standard Ango projects only."
        )
