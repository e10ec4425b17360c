"""The docs' sample Batch Model plugin, run as a subprocess against the emulator by the tests.

It follows DOC-BM / angoai/plugin-samples `batch_model_plugin.py`, with two deliberate changes that
any correct plugin needs: it pages `get_assets` with the run's `batches` filter until `data.total`,
and it names each asset by its `data` URL rather than its externalId, because externalIds are not
unique (the demo seeds a duplicate on purpose).

Usage: python sample_plugin.py HOST PLUGIN_ID PLUGIN_SECRET
"""

from __future__ import annotations

import json
import sys
from typing import Any

from imerit_ango.plugins import BatchModelPlugin, run
from imerit_ango.sdk import SDK

DONE_MESSAGE = "All annotations are imported!"
PAGE_SIZE = 7  # deliberately not a divisor of the batch size, so the last page is partial


def make_callback(host: str) -> Any:
    def run_model(data: dict[str, Any]) -> str:
        project_id = data["projectId"]
        category_schema = data["categorySchema"]
        logger = data["logger"]
        config = json.loads(data["configJSON"])
        logger.info("Plugin session is started!", extra={"stage": "start"})
        if category_schema is None:
            logger.warning("Please complete class mapping!")
            return "Please complete class mapping!"
        if config.get("fail"):
            raise RuntimeError("asked to fail")
        sdk = SDK(api_key=data["apiKey"], host=host)
        assets = _all_assets(sdk, project_id, data["batches"])
        logger.info("fetched %d assets", len(assets))
        schema_id = category_schema[0]["schemaId"]
        box = config["dummy-bounding-box"]
        labels = [
            {"data": a["data"], "objects": [{"schemaId": schema_id, "bounding-box": box}]} for a in assets
        ]
        sdk.import_labels(project_id, labels)
        logger.info("Plugin session is ended!")
        return DONE_MESSAGE

    return run_model


def _all_assets(sdk: SDK, project_id: str, batches: list[str]) -> list[dict[str, Any]]:
    assets: list[dict[str, Any]] = []
    page = 1
    while True:
        response = sdk.get_assets(project_id, page=page, limit=PAGE_SIZE, filters={"batches": batches})
        assets += response["data"]["assets"]
        if len(assets) >= response["data"]["total"] or not response["data"]["assets"]:
            return assets
        page += 1


if __name__ == "__main__":
    host, plugin_id, secret = sys.argv[1:4]
    plugin = BatchModelPlugin(id=plugin_id, secret=secret, callback=make_callback(host))
    run(plugin, host=host)
