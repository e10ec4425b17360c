"""(b) The stock way: imerit-ango's BatchModelPlugin with one sequential callback, in one process.

What a careful user of the SDK writes (after angoai/plugin-samples): page through the selected
assets (limit 100, the run's `batches` filter), download and decode each, run the same model on
batches of the same size, build the same import items, and import them 100 at a time. The model
is loaded once, when the plugin starts.

Usage: python -m tests.perf.stock_plugin HOST PLUGIN_ID PLUGIN_SECRET MODEL
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests
from imerit_ango.plugins import BatchModelPlugin, run
from imerit_ango.sdk import SDK

from handler.assets import decode_image
from handler.contract.messages import AssetRef
from handler.contract.model import Model, ModelSpec, PredictContext, load_model_factory
from handler.contract.records import ClassTarget
from handler.contract.run_config import parse_config_json
from handler.outputs.prelabels import build_item

PAGE_LIMIT = 100
IMPORT_BATCH = 100


def mapped_targets(category_schema: Sequence[Mapping[str, str]], spec: ModelSpec) -> dict[str, ClassTarget]:
    """The user's class mapping, as `build_item` takes it (the tool is the class's shape)."""
    return {
        name: ClassTarget(model_class=name, schema_id=entry["schemaId"], tool=spec.classes[name])
        for entry in category_schema
        if (name := entry["modelClass"]) in spec.classes
    }


class SequentialCallback:
    def __init__(self, host: str, model: str) -> None:
        self._host = host
        self._spec = load_model_factory(model).spec
        self._model: Model = load_model_factory(model)()

    def __call__(self, data: dict[str, Any]) -> str:
        config, model_config = parse_config_json(data["configJSON"], self._spec)
        context = PredictContext(config=model_config, run_id=data["session"])
        targets = mapped_targets(data["categorySchema"] or [], self._spec)
        sdk = SDK(api_key=data["apiKey"], host=self._host)
        project_id = data["projectId"]
        pending: list[dict[str, Any]] = []
        labeled = total = 0
        for page in self._pages(sdk, project_id, data["batches"]):
            for start in range(0, len(page), config.batch_size):
                pending += self._label(page[start : start + config.batch_size], context, targets)
                while len(pending) >= IMPORT_BATCH:
                    labeled += self._import(sdk, project_id, pending[:IMPORT_BATCH])
                    pending = pending[IMPORT_BATCH:]
            total += len(page)
        if pending:
            labeled += self._import(sdk, project_id, pending)
        return f"Pre-labeled {labeled} of {total} assets."

    def _label(
        self, assets: list[dict[str, Any]], context: PredictContext, targets: Mapping[str, ClassTarget]
    ) -> list[dict[str, Any]]:
        """Download, decode and predict one batch; its import items."""
        images = [decode_image(requests.get(a["data"], timeout=30).content) for a in assets]
        items = []
        for asset, image, found in zip(assets, images, self._model.predict(images, context), strict=True):
            ref = AssetRef(asset_id=asset["_id"], external_id=asset["externalId"], data_url=asset["data"])
            ref = ref.model_copy(update={"address_by_url": True})  # externalIds need not be unique
            size = (image.shape[1], image.shape[0])
            item = build_item(context.run_id, ref, size, found, targets).item
            if item is not None:
                items.append(item)
        return items

    @staticmethod
    def _pages(sdk: SDK, project_id: str, batches: list[str]) -> Iterator[list[dict[str, Any]]]:
        page, seen = 1, 0
        while True:
            response = sdk.get_assets(project_id, page=page, limit=PAGE_LIMIT, filters={"batches": batches})
            assets = response["data"]["assets"]
            if assets:
                yield assets
            seen += len(assets)
            if not assets or seen >= response["data"]["total"]:
                return
            page += 1

    @staticmethod
    def _import(sdk: SDK, project_id: str, items: list[dict[str, Any]]) -> int:
        sdk.import_labels(project_id, items)
        return len(items)


if __name__ == "__main__":
    host, plugin_id, secret, model_name = sys.argv[1:5]
    plugin = BatchModelPlugin(id=plugin_id, secret=secret, callback=SequentialCallback(host, model_name))
    run(plugin, host=host)
