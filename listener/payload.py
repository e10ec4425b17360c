"""The `plugin` event Ango Hub sends when a user clicks Run, validated at the door.

Policy for keys we do not know: ignored (Hub adds keys for other plugin types, e.g. `stage`), but
the whole payload is size-limited before parsing so nothing unbounded reaches the rest.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

MAX_PAYLOAD_BYTES = 256 * 1024
_ID = Field(min_length=1, max_length=200)
# A length limit also makes pydantic check that the text is valid Unicode: a bare `str` lets a lone
# surrogate through, which no JSON encoder downstream can write as UTF-8.
BatchId = Annotated[str, Field(max_length=200)]
MAX_API_KEY_LENGTH = 1000
# A key travels in an HTTP header: visible ASCII only. A CR LF in it made `requests` raise an error
# quoting the header, key and all; such a key is refused here, before any client sees it.
_API_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_API_KEY_LENGTH}}}")


def _none_as(empty: Any) -> BeforeValidator:
    """Hub may send null for an optional field; it means the same as leaving it out."""
    return BeforeValidator(lambda value: empty if value is None else value)


class PayloadError(ValueError):
    """The run request is malformed; the message is meant for the user."""


class ClassMapping(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # Hub's key names, camelCase. A class the user left unmapped may come with a null or empty
    # schemaId: it is treated as not mapped.
    schemaId: Annotated[str, _none_as("")] = Field(max_length=200)
    modelClass: str = _ID


class PluginRun(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    projectId: str = _ID
    apiKey: str = Field(min_length=1, max_length=MAX_API_KEY_LENGTH, repr=False)
    session: str = _ID
    orgId: Annotated[str, _none_as("")] = Field("", max_length=200)
    runBy: Annotated[str, _none_as("")] = Field("", max_length=200)
    categorySchema: list[ClassMapping] | None = Field(None, max_length=1000)
    batches: Annotated[list[BatchId], _none_as([])] = Field(default_factory=list, max_length=1000)
    configJSON: str | None = Field(None, max_length=64 * 1024)

    def mapped_classes(self) -> list[ClassMapping]:
        return [entry for entry in self.categorySchema or () if entry.schemaId]


def parse_plugin_run(data: Any) -> PluginRun:
    if not isinstance(data, dict):
        raise PayloadError("run request is not a JSON object")
    try:
        size = len(json.dumps(data, default=str))
    except (TypeError, ValueError, RecursionError):
        raise PayloadError("run request is not serialisable JSON") from None
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"run request is larger than {MAX_PAYLOAD_BYTES} bytes")
    key = data.get("apiKey")
    if isinstance(key, str) and not _API_KEY.fullmatch(key):
        # Never echoed: the message says what is wrong with the key, not what it is.
        raise PayloadError(
            f"run request has an invalid apiKey: an Ango API key is 1-{MAX_API_KEY_LENGTH} visible "
            "ASCII characters, without spaces or control characters"
        )
    try:
        return PluginRun.model_validate(data)
    except ValidationError as exc:
        fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
        raise PayloadError(f"run request is invalid (fields: {', '.join(fields) or '?'})") from None


def session_of(data: Any) -> str:
    """The session to answer, even for a payload too broken to validate."""
    session = data.get("session") if isinstance(data, dict) else None
    return session if isinstance(session, str) and len(session) <= 200 else ""
