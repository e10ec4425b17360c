"""What a job needs from the outside world, built once per process and passed to `run_job`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from handler.assets import AssetFetcher
from handler.contract.ango import AngoClient, client_factory
from handler.contract.aws import AwsClients, make_clients
from handler.contract.ledger import Ledger
from handler.contract.model import Model, ModelFactory, load_model_factory
from handler.contract.queues import MessageQueue
from handler.contract.records import RunRecord
from handler.contract.redaction import in_flight
from handler.contract.settings import Settings
from handler.inference.model_turns import ModelTurns


@dataclass
class Deps:
    settings: Settings
    ledger: Ledger
    jobs: MessageQueue
    status: MessageQueue
    fetcher: AssetFetcher
    model_factory: ModelFactory[Any]
    ango: Callable[[str], AngoClient]  # API key -> client
    _model: Model[Any] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Models are not assumed thread-safe (OpenCV's cascade is not): one predict at a time per
    # process, while downloads and imports of other jobs go on around it; the jobs take turns.
    model_turns: ModelTurns = field(default_factory=ModelTurns, repr=False)

    @property
    def model(self) -> Model[Any]:
        """The model, loaded on first use: a planning-only process never pays for its weights."""
        with self._lock:
            if self._model is None:
                self._model = self.model_factory()
            return self._model

    @contextmanager
    def hub_client(self, run: RunRecord) -> Iterator[AngoClient]:
        """The run's Ango client, its API key decrypted for this block only and redacted from
        every log line written meanwhile."""
        api_key = self.ledger.decrypt_api_key(run)
        with in_flight(api_key):
            yield self.ango(api_key)


def build_deps(settings: Settings, clients: AwsClients | None = None) -> Deps:
    missing = settings.missing_aws_resources()
    if missing:
        raise ValueError(f"missing settings: {', '.join(missing)} (or deploy the stack first)")
    clients = clients or make_clients()
    return Deps(
        settings=settings,
        ledger=Ledger.of(settings, clients),
        jobs=MessageQueue(clients.sqs, settings.job_queue_url),
        status=MessageQueue(clients.sqs, settings.status_queue_url),
        fetcher=AssetFetcher.from_settings(settings),
        model_factory=load_model_factory(settings.model_name),
        ango=client_factory(settings, pool_size=settings.http_pool_size()),
    )
