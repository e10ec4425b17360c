"""The `plugin` event Ango Hub sends when a user clicks Run, validated at the door.

Policy for keys we do not know: ignored (Hub adds keys for other plugin types, e.g. `stage`), but
the whole payload is size-limited before parsing so nothing unbounded reaches the rest.

Where the docs leave a field's shape open, every plausible form is read (protocol §12.12): ids as
strings or numbers; `configJSON` as the documented string or an object already parsed;
`categorySchema` as the documented list of `{schemaId, modelClass}`, or as a dict (DOC-BM types it
`dict` while its example is a list): one such entry, entries by any key, or model class -> schemaId.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

MAX_PAYLOAD_BYTES = 256 * 1024
_ID = Field(min_length=1, max_length=200)
# A length limit also makes pydantic check that the text is valid Unicode: a bare `str` lets a lone
# surrogate through, which no JSON encoder downstream can write as UTF-8.
# (The validator after the Field: before it, pydantic skips the length check and its Unicode one.)
BatchId = Annotated[str, Field(max_length=200), BeforeValidator(lambda v: _number_as_text(v))]
MAX_API_KEY_LENGTH = 1000
# A key travels in an HTTP header: visible ASCII only. A CR LF in it made `requests` raise an error
# quoting the header, key and all; such a key is refused here, before any client sees it.
_API_KEY = re.compile(rf"[\x21-\x7e]{{1,{MAX_API_KEY_LENGTH}}}")


def _none_as(empty: Any) -> BeforeValidator:
    """Hub may send null for an optional field; it means the same as leaving it out."""
    return BeforeValidator(lambda value: empty if value is None else _number_as_text(value))


def _number_as_text(value: Any) -> Any:
    """An id that came as a number is the same id as text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _object_as_text(value: Any) -> Any:
    """`configJSON` already parsed into an object is the same config as its JSON text."""
    return json.dumps(value) if isinstance(value, dict) else value


def _mapping_entries(value: Any) -> Any:
    """`categorySchema` in any of its plausible forms, as the documented list of entries."""
    if not isinstance(value, dict):
        return value
    if "modelClass" in value or "schemaId" in value:
        return [value]
    if value and all(isinstance(v, dict) for v in value.values()):
        return list(value.values())
    # model class -> schemaId (or the other way round: ClassMapping.facing settles which)
    return [{"modelClass": k, "schemaId": v, "either_way": True} for k, v in value.items()]


Id = Annotated[str, BeforeValidator(_number_as_text)]


class PayloadError(ValueError):
    """The run request is malformed; the message is meant for the user."""


class ClassMapping(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    # Hub's key names, camelCase. A class the user left unmapped may come with a null or empty
    # schemaId: it is treated as not mapped.
    schemaId: Annotated[str, _none_as("")] = Field(max_length=200)
    modelClass: Id = _ID
    either_way: bool = False  # read from a plain dict: which side is the model class is not known

    def facing(self, classes: Collection[str]) -> ClassMapping:
        """The entry with the model class on its side: a plain dict may map schemaId -> class."""
        if self.either_way and self.modelClass not in classes and self.schemaId in classes:
            return self.model_copy(update={"modelClass": self.schemaId, "schemaId": self.modelClass})
        return self


class PluginRun(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    projectId: Id = _ID
    apiKey: str = Field(min_length=1, max_length=MAX_API_KEY_LENGTH, repr=False)
    session: Id = _ID
    orgId: Annotated[str, _none_as("")] = Field("", max_length=200)
    runBy: Annotated[str, _none_as("")] = Field("", max_length=200)
    categorySchema: Annotated[list[ClassMapping] | None, BeforeValidator(_mapping_entries)] = Field(
        None, max_length=1000
    )
    batches: Annotated[list[BatchId], _none_as([])] = Field(default_factory=list, max_length=1000)
    configJSON: Annotated[str | None, BeforeValidator(_object_as_text)] = Field(None, max_length=64 * 1024)

    def mapped_classes(self, classes: Collection[str]) -> list[ClassMapping]:
        """The entries that map a class, each with the model's class on its model side."""
        return [entry.facing(classes) for entry in self.categorySchema or () if entry.schemaId]


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
