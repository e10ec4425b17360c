"""What a job needs from the outside world, built once per process and passed to `run_job`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from handler.ango import AngoClient, pooled_session
from handler.assets import AssetFetcher
from handler.aws import AwsClients, make_clients
from handler.ledger import Ledger
from handler.model import Model, ModelFactory, load_model_factory
from handler.queues import MessageQueue
from handler.settings import Settings


@dataclass
class Deps:
    settings: Settings
    ledger: Ledger
    jobs: MessageQueue
    status: MessageQueue
    fetcher: AssetFetcher
    model_factory: ModelFactory
    ango: Callable[[str], AngoClient]  # API key -> client
    _model: Model | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Models are not assumed thread-safe (OpenCV's cascade is not): one predict at a time per
    # process, while downloads and imports of other jobs go on around it.
    model_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def model(self) -> Model:
        """The model, loaded on first use: a planning-only process never pays for its weights."""
        with self._lock:
            if self._model is None:
                self._model = self.model_factory()
            return self._model


def build_deps(settings: Settings, clients: AwsClients | None = None) -> Deps:
    missing = settings.missing_aws_resources()
    if missing:
        raise ValueError(f"missing settings: {', '.join(missing)} (or deploy the stack first)")
    clients = clients or make_clients()
    http = pooled_session(pool_size=max(16, settings.download_concurrency * 2))
    return Deps(
        settings=settings,
        ledger=Ledger(clients.s3, clients.kms, settings.ledger_bucket, settings.kms_key_id),
        jobs=MessageQueue(clients.sqs, settings.job_queue_url),
        status=MessageQueue(clients.sqs, settings.status_queue_url),
        fetcher=AssetFetcher.from_settings(settings),
        model_factory=load_model_factory(settings.model_name),
        ango=build_ango_factory(settings, http),
    )


def build_ango_factory(settings: Settings, http: requests.Session) -> Callable[[str], AngoClient]:
    def make(api_key: str) -> AngoClient:
        return AngoClient(settings.ango_host, api_key, settings.ango_timeout_seconds, session=http)

    return make
