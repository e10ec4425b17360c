"""(a) The model alone: the run's images decoded in memory, then only `predict`, timed.

The images are fetched once from the emulator the way a plugin would (asset pages, then each
asset's URL); identical files are decoded once and shared, which changes nothing for the model.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from handler.assets import decode_image
from handler.contract.chunks import chunked
from handler.contract.messages import AssetRef
from handler.contract.model import Image, Model, PredictContext, load_model_factory
from handler.contract.records import ClassTarget
from handler.contract.run_config import parse_config_json
from handler.outputs.prelabels import build_item
from infra import demo_data
from infra.emulator.control import EmulatorControl

from .cpu import CpuMeter, CpuUse
from .stock_plugin import mapped_targets

PAGE_LIMIT = 100


@dataclass(frozen=True)
class DecodedAssets:
    images: dict[str, Image]  # by content hash
    keys: list[str]  # each asset's content hash, in the run's order


@dataclass(frozen=True)
class AloneResult:
    timed_assets: int
    seconds: float
    cpu: CpuUse
    labeled: frozenset[str]  # content hashes of the images that get a pre-label

    @property
    def rate(self) -> float:
        return self.timed_assets / self.seconds

    def expected_prelabeled(self, assets: DecodedAssets, n_assets: int) -> int:
        """Assets with a pre-label in a benchmark project of n_assets (which cycles one pool of
        images, so a smaller project is a prefix of this one)."""
        keys = assets.keys
        return sum(1 for i in range(n_assets) if keys[i % len(keys)] in self.labeled)


def load_assets(emulator: EmulatorControl) -> DecodedAssets:
    """Every asset of the benchmark project's Batch A, downloaded once and decoded."""
    urls = list(list_assets(emulator.base_url, demo_data.BENCH_PROJECT_ID))
    images, keys = _fetch_decoded(urls)
    return DecodedAssets(images, keys)


def measure_model_alone(
    assets: DecodedAssets,
    model: str,
    config_json: str,
    category_schema: list[dict[str, str]],
    max_assets: int,
) -> AloneResult:
    factory = load_model_factory(model)
    run_config, model_config = parse_config_json(config_json, factory.spec)
    context = PredictContext(config=model_config, run_id="bench")
    images, keys = assets.images, assets.keys
    predictor = factory()
    predictor.predict([next(iter(images.values()))], context)  # warm-up: lazy loads, thread pools
    timed = [images[key] for key in keys[:max_assets]]
    meter, started = CpuMeter([os.getpid()]), time.perf_counter()
    for batch in chunked(timed, run_config.batch_size):
        predictor.predict(batch, context)
    seconds, cpu = time.perf_counter() - started, meter.stop()
    targets = mapped_targets(category_schema, factory.spec)
    labeled = {key for key, image in images.items() if _labels_something(predictor, image, context, targets)}
    return AloneResult(len(timed), seconds, cpu, frozenset(labeled))


def _labels_something(
    predictor: Model, image: Image, context: PredictContext, targets: Mapping[str, ClassTarget]
) -> bool:
    """Whether this image would get a pre-label: a mapped prediction with geometry inside it."""
    (predictions,) = predictor.predict([image], context)
    ref = AssetRef(asset_id="a", external_id="a", data_url="http://a")
    return build_item("bench", ref, (image.shape[1], image.shape[0]), predictions, targets).item is not None


def list_assets(base_url: str, project_id: str) -> Iterator[str]:
    """Every asset URL of Batch A, in order."""
    url = f"{base_url}/v2/project/{project_id}/assets"
    headers = {"apikey": demo_data.API_KEY}
    filters = f'{{"batches": ["{demo_data.BATCH_A_ID}"]}}'
    page, seen = 1, 0
    with requests.Session() as http:
        while True:
            params: dict[str, str | int] = {"page": page, "limit": PAGE_LIMIT, "filters": filters}
            data = http.get(url, params=params, headers=headers, timeout=30).json()["data"]
            yield from (asset["data"] for asset in data["assets"])
            seen += len(data["assets"])
            if not data["assets"] or seen >= data["total"]:
                return
            page += 1


def _fetch_decoded(urls: list[str]) -> tuple[dict[str, Image], list[str]]:
    """Decoded images by content hash, and each asset's hash in order."""
    with requests.Session() as http, ThreadPoolExecutor(8) as pool:

        def fetch(url: str) -> bytes:
            response = http.get(url, timeout=30)
            response.raise_for_status()
            return response.content

        contents = list(pool.map(fetch, urls))
    keys = [hashlib.sha256(content).hexdigest() for content in contents]
    images = {key: decode_image(content) for key, content in zip(keys, contents, strict=True)}
    return images, keys
