"""A process that makes Hub calls on one API key as fast as its pacing allows, for a while: one of
the processes that share a key's budget in test_hub_budget.py. Settings come from the environment
as in a worker (ANGO_HOST, ANGO_REQUESTS_PER_MINUTE, the ledger bucket and key that hold the shared
budget, ANGO_BATCH_SHARED_HUB_BUDGET); it prints one JSON
line: the calls it made and when the last one ended.

    python -m tests.integration.hub_caller START_EPOCH SECONDS THREADS
"""

from __future__ import annotations

import json
import sys
import threading
import time

from handler.contract.ango import client_factory
from handler.contract.settings import Settings
from infra import demo_data


def main(start: float, seconds: float, threads: int) -> None:
    client = client_factory(Settings())(demo_data.API_KEY)
    calls: list[float] = []

    def call_until_the_end() -> None:
        while time.time() < start + seconds:
            client.get_project(demo_data.PROJECT_ID)
            calls.append(time.time())  # list.append is atomic

    time.sleep(max(0.0, start - time.time()))  # every process starts at once, imports done
    workers = [threading.Thread(target=call_until_the_end) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps({"calls": len(calls), "last": max(calls, default=start)}))


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))
