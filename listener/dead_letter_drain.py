"""Drains the job dead-letter queue into the run ledger, so runs with poison jobs still finish.

Each dead job becomes a job result (its assets failed with a reason, unless the import journal
shows them imported) and a status event, which the relay handles like any other; the job body is
parked in the ledger for `ango-batch redrive` (handler/dead_letters.py).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from handler.contract.ledger import Ledger
from handler.contract.queues import MessageQueue
from listener.dead_letters import record_dead_job
from listener.polling import keep_polling

logger = logging.getLogger(__name__)
# Jobs reach the dead-letter queue rarely, and minutes after their first failure (after every
# receive they are allowed): after an empty poll the drain rests, so an idle listener's SQS calls
# are mostly the status relay's. A dead job is then reported at most this much later.
REST_SECONDS = 10.0


class DeadLetterDrain:
    def __init__(self, sqs: Any, dlq_url: str, ledger: Ledger, status: MessageQueue) -> None:
        self._sqs, self._url, self._ledger, self._status = sqs, dlq_url, ledger, status

    def run(self, stop: threading.Event) -> None:
        def rest() -> None:  # a wait the stop ends at once, unlike a long poll
            stop.wait(REST_SECONDS)

        keep_polling(stop, self._sqs, self._url, self._record, "dead-letter drain", idle=rest)

    def _record(self, body: str) -> bool:
        try:
            record_dead_job(body, self._ledger, self._status)
        except Exception:  # left in the queue: tried again when it reappears
            logger.exception("could not record a dead-lettered job; will retry")
            return False
        return True
