"""Counting calls: AWS calls from the probe files and the processes' own exit lines, Ango calls from
the emulator's request counts."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

IMPORT_ENDPOINT = "POST /v2/import/labels"
FILES_PREFIX = "GET /files/"
HUB_PATH_PREFIX = "/v2/"
EXIT_LINE = re.compile(r"aws calls: sqs=(\d+) s3=(\d+) kms=(\d+)")
PROBE_DIR_ENV = "ANGO_BENCH_PROBE_DIR"
PROBE_PATH = Path(__file__).resolve().parent / "aws_probe"

AwsCalls = Counter[tuple[str, str]]  # (service, operation) -> calls


def probe_env(directory: Path, pythonpath: str | None) -> dict[str, str]:
    """What puts the AWS call probe (tests/perf/aws_probe/sitecustomize.py) into a child process."""
    path = str(PROBE_PATH) if not pythonpath else f"{PROBE_PATH}:{pythonpath}"
    return {PROBE_DIR_ENV: str(directory), "PYTHONPATH": path}


def probe_calls(directory: Path, pids: Iterable[int]) -> AwsCalls:
    """The AWS calls the probe has seen so far in these processes, summed."""
    total: AwsCalls = Counter()
    for pid in pids:
        path = directory / f"aws-{pid}.json"
        try:
            calls = json.loads(path.read_text())["calls"]
        except (OSError, ValueError, KeyError):
            continue
        for service, operations in calls.items():
            for operation, n in operations.items():
                total[(service, operation)] += int(n)
    return total


def probe_started(directory: Path, pid: int, operation: str = "ReceiveMessage") -> bool:
    """Whether the process has begun `operation` (the probe counts a call when it starts)."""
    return probe_calls(directory, [pid])[("sqs", operation)] > 0


def service_total(calls: AwsCalls, service: str) -> int:
    return sum(n for (s, _), n in calls.items() if s == service)


def exit_line_calls(log_text: str) -> dict[str, int] | None:
    """The last `aws calls: sqs=<n> s3=<n> kms=<n>` line a process printed, if any."""
    found = EXIT_LINE.findall(log_text)
    if not found:
        return None
    sqs, s3, kms = (int(v) for v in found[-1])
    return {"sqs": sqs, "s3": s3, "kms": kms}


@dataclass(frozen=True)
class AngoCalls:
    imports: int
    downloads: int
    other: int  # every other /v2 call: project, asset and task pages, signed URLs
    throttled: int = 0  # /v2 calls answered 429

    @property
    def hub(self) -> int:
        """Every /v2 call the emulator served, whatever its answer: what Hub's rate limit counts."""
        return self.imports + self.other


def ango_calls(stats: Mapping[str, Mapping[str, int]]) -> AngoCalls:
    """Split the emulator's request counts (all statuses) into imports, downloads and other /v2 calls."""
    imports = downloads = other = throttled = 0
    for endpoint, by_status in stats.items():
        n = sum(by_status.values())
        if endpoint == IMPORT_ENDPOINT:
            imports += n
        elif endpoint.startswith(FILES_PREFIX):
            downloads += n
            continue
        elif endpoint.split(" ", 1)[-1].startswith(HUB_PATH_PREFIX):
            other += n
        else:
            continue
        throttled += by_status.get("429", 0)
    return AngoCalls(imports, downloads, other, throttled)
