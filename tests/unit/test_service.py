"""The listener's seams: it runs on the shared contract alone, never on the handler's job runner."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

PROBE = """
import sys
from handler.contract.aws import AwsClients
from handler.contract.settings import Settings
from listener.service import Listener

class Fake:
    def __getattr__(self, name):
        raise AssertionError(f"no AWS call expected while building a Listener ({name})")

settings = Settings(
    ANGO_PLUGIN_ID="p", ANGO_PLUGIN_SECRET="s", ANGO_BATCH_JOB_QUEUE_URL="q",
    ANGO_BATCH_STATUS_QUEUE_URL="s", ANGO_BATCH_LEDGER_BUCKET="b", ANGO_BATCH_KMS_KEY_ID="k",
)
Listener(settings, AwsClients(sqs=Fake(), s3=Fake(), kms=Fake()))
print(" ".join(sorted(m for m in sys.modules if m.startswith(("handler", "listener", "cv2", "infra")))))
"""

RUNNER = {
    "handler.deps",
    "handler.runner",
    "handler.inference.job",
    "handler.assets",
    "handler.planning.planner",
}
MODELS = {f"handler.models.{name}" for name in ("haar", "fixed_latency", "ocr", "quality", "entities")}


def test_a_built_listener_holds_no_opencv_no_model_and_no_job_runner() -> None:
    # A fresh interpreter: this one has imported everything for other tests.
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "listener.service" in loaded and "handler.contract.messages" in loaded  # the probe ran
    assert "cv2" not in loaded
    assert not loaded & (RUNNER | MODELS), loaded & (RUNNER | MODELS)
    assert not [m for m in loaded if m.startswith("infra")]
    handler_side = {m for m in loaded if m.startswith("handler.")}
    # The shapes and which tool each can fill are part of the contract the listener checks a
    # mapping against (OpenCV, which conversions use, is imported only when one converts); the
    # media kinds name what a model reads (a table of extensions, no reader).
    contract = ("handler.outputs.shapes", "handler.outputs.conversions", "handler.media.kinds")
    allowed = ("handler.contract", "handler.models.specs", "handler.models", "handler.cli", *contract)
    handler_side -= {"handler.outputs", "handler.media"}  # the packages; their other modules are the runner's
    assert all(m.startswith(allowed) for m in handler_side), handler_side - {
        m for m in handler_side if m.startswith(allowed)
    }
