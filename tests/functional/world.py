"""A world of in-memory fakes (tests/functional/fakes.py) wired to the real code: the listener's
acceptor, the container worker's loop (burst) through `run_job`, and the status relay."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from handler.contract.aws import AwsClients
from handler.contract.ledger import Ledger
from handler.contract.model import load_model_factory, load_model_spec
from handler.contract.queues import MessageQueue
from handler.contract.records import RunRecord
from handler.contract.settings import Settings
from handler.deps import Deps
from handler.worker import Worker
from infra.emulator.imports import apply_import, plan_import
from infra.emulator.model import Asset, Project
from listener.acceptance import ActionDone, RunAcceptor
from listener.polling import poll_once
from listener.relay import RunRegistry, StatusRelay
from tests.functional.fakes import FakeHub, FakeKms, FakeS3, FakeSqs, FakeStorage, HubAsset

JOBS, STATUS = "sqs://jobs", "sqs://status"
CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".pdf": "application/pdf",
    ".dcm": "application/dicom",
    ".txt": "text/plain",
}
PROJECT = {
    "type": "ango",
    "categorySchema": {"tools": [{"schemaId": "box", "title": "Obj", "tool": "bounding-box"}]},
}


@dataclass
class Notifier:
    logs: list[tuple[str, str]] = field(default_factory=list)
    responses: list[tuple[str, bool]] = field(default_factory=list)
    connected: bool = True

    def log(self, run: RunRecord, level: str, message: str) -> None:
        self.logs.append((level, message))

    def respond(self, run: RunRecord, message: str, error: bool = False) -> threading.Event:
        self.responses.append((message, error))
        sent = threading.Event()
        sent.set()
        return sent


@dataclass
class World:
    hub: FakeHub
    sqs: FakeSqs = field(default_factory=FakeSqs)
    storage: FakeStorage = field(default_factory=FakeStorage)
    notifier: Notifier = field(default_factory=Notifier)
    clients: AwsClients = field(default_factory=lambda: AwsClients(sqs=None, s3=FakeS3(), kms=FakeKms()))
    model: str = "fixed-latency"

    def __post_init__(self) -> None:
        settings = Settings(ANGO_BATCH_MODEL=self.model)
        self.ledger = Ledger(self.clients.s3, self.clients.kms, "bucket", "key")
        self.deps = Deps(
            settings=settings,
            ledger=self.ledger,
            jobs=MessageQueue(self.sqs, JOBS),
            status=MessageQueue(self.sqs, STATUS),
            fetcher=self.storage,  # type: ignore[arg-type]
            model_factory=load_model_factory(self.model),
            ango=self._client,  # type: ignore[arg-type]
        )
        self.acceptor = RunAcceptor(
            "plugin",
            load_model_spec(self.model),
            self.ledger,
            self.deps.jobs,
            self.deps.ango,
            self.deps.status,
        )
        self.relay = StatusRelay(self.sqs, STATUS, RunRegistry(self.ledger), self.ledger, self.notifier)

    def _client(self, api_key: str) -> Any:
        """Hub as each user's key sees it: the project's users see it, an outsider gets a 403."""
        return self.hub if api_key in self.hub.users else self.hub.as_outsider()

    def click_run(self, session: str = "s1", **config: Any) -> RunRecord:
        run = self.click(session, **config)
        assert isinstance(run, RunRecord)
        self.relay._registry.add(run)
        return run

    def click(self, session: str, api_key: str = "key-1", **config: Any) -> RunRecord | ActionDone | None:
        config = {"model": {"seconds_per_batch": 0}, "job_size": 4, **config}
        payload = {
            "projectId": "proj",
            "apiKey": api_key,
            "session": session,
            "runBy": "ann@example.com",
            "categorySchema": [{"schemaId": "box", "modelClass": "Object"}],
            "configJSON": json.dumps(config),
        }
        return self.acceptor.accept(payload)

    def run_mapped(self, mapping: dict[str, str], **config: Any) -> None:
        """The user maps model classes to schemaIds, clicks Run with `config`, and the run ends."""
        run = self.acceptor.accept(
            {
                "projectId": "proj",
                "apiKey": "key-1",
                "session": "s1",
                "categorySchema": [{"modelClass": c, "schemaId": s} for c, s in mapping.items()],
                "configJSON": json.dumps({"job_size": 2, **config}),
            }
        )
        assert isinstance(run, RunRecord)
        self.relay._registry.add(run)
        self.work()
        self.relay_all()

    def emulator_stored(
        self, width: int = 64, height: int = 48, sizes: dict[str, tuple[int, int]] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Each asset's stored answer, once the items Hub received are imported into an emulator
        project of the same ontology, under its strict checks (pictures `width` x `height`: the
        FakeStorage picture's size; `sizes` by asset id for others)."""
        project = Project(
            id="proj", name="p", category_schema=self.hub.project["categorySchema"], batches=[], stages=[]
        )
        for asset in self.hub.assets:  # each with the bytes the storage serves for it
            content = self.storage.files.get(asset.url, self.storage.png)
            pages = [self.storage.files.get(url, self.storage.png) for url in asset.page_urls]
            kind = CONTENT_TYPES.get(asset.suffix, "image/png")
            w, h = (sizes or {}).get(asset.asset_id, (width, height))
            project.assets.append(
                Asset(asset.asset_id, asset.external_id, asset.external_id, kind, content, w, h, pages=pages)
            )
        items = []
        for item in self.hub.items:  # re-addressed by externalId: the fakes' URLs are not the emulator's
            (asset,) = [
                a
                for a in self.hub.assets
                if item.get("data") == a.url or item.get("externalId") == a.external_id
            ]
            rest = {key: value for key, value in item.items() if key not in ("data", "externalId")}
            items.append({"externalId": asset.external_id, **rest})
        apply_import(plan_import(project, items, "http://emulator", 100), "append")
        return {asset.id: asset.answer for asset in project.assets}

    def work(self) -> None:
        Worker(self.deps, self.sqs, concurrency=2, grace_seconds=5).run(burst=True)

    def relay_all(self) -> None:
        while poll_once(self.sqs, STATUS, self.relay._handle, threading.Event()):
            pass


def hub_assets(count: int, **overrides: Any) -> list[HubAsset]:
    return [HubAsset(f"a{n}", f"img{n}.png", **overrides) for n in range(count)]
