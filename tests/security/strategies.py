"""Hypothesis strategies for hostile `plugin` payloads and Config JSON strings.

Most payloads start valid and get zero to two mutations (a field replaced by a wrong type, an
oversized or deeply nested value, or removed), so both the accepting and the refusing paths are
exercised; the rest are arbitrary JSON values and dicts. Config JSON strings mix well-formed
objects with out-of-range, wrong-typed, NaN/Infinity and unknown entries with texts that are not
JSON at all, too large, too deep, or carry lone surrogates.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Every code point, lone surrogates included; half the texts also carry one awkward character for
# sure (a random code point is rarely a surrogate or a NUL).
_AWKWARD = st.sampled_from(["\ud800", "\udfff", "\x00", "\u2028", "\ufeff", '"', "\\", "é", "😀"])
CHARS = st.characters(exclude_categories=())
_PLAIN_TEXT = st.text(CHARS, max_size=20)
TEXT = _PLAIN_TEXT | st.builds(lambda a, b, c: a + b + c, _PLAIN_TEXT, _AWKWARD, _PLAIN_TEXT)
SAFE_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)  # encodable: what valid values use
OVERSIZED_TEXT = st.builds(
    lambda unit, n: unit * n, _AWKWARD | st.text(CHARS, min_size=1, max_size=3), st.integers(60_000, 300_000)
)
HUGE_INTS = st.integers(min_value=2**63).flatmap(lambda n: st.sampled_from([n, -n, 10**400, -(10**4400)]))
NUMBERS = st.integers(-(2**64), 2**64) | HUGE_INTS | st.floats()  # floats: NaN and ±inf included
SCALARS = st.none() | st.booleans() | NUMBERS | TEXT


def nested(depth: int, kind: str) -> Any:
    """A list or dict nested `depth` deep, built without recursion."""
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


DEEP = st.builds(nested, st.integers(1, 3_000), st.sampled_from(["list", "dict"]))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
HOSTILE = (
    JSON_VALUES | DEEP | OVERSIZED_TEXT | st.builds(lambda v, n: [v] * n, SCALARS, st.integers(900, 5_000))
)

# -- Config JSON ---------------------------------------------------------------------------------

_INT_LIKE = st.integers(-5, 600) | NUMBERS | st.booleans() | st.text(max_size=4) | st.none() | JSON_VALUES
_MODEL_SECTION = st.fixed_dictionaries(
    {},
    optional={
        "scale_factor": st.floats(0.5, 3.0) | _INT_LIKE,
        "min_neighbors": _INT_LIKE,
        "min_size": _INT_LIKE,
        "max_image_side": _INT_LIKE,
        "unknown": JSON_VALUES,
    },
)
CONFIG_OBJECTS = st.fixed_dictionaries(
    {},
    optional={
        "job_size": _INT_LIKE,
        "batch_size": _INT_LIKE,
        "import_batch_size": _INT_LIKE,
        "model": _MODEL_SECTION | HOSTILE,
        "job_szie": JSON_VALUES,  # a typo must be refused, not ignored
        "": JSON_VALUES,
    },
).flatmap(
    lambda known: st.dictionaries(TEXT | OVERSIZED_TEXT, JSON_VALUES, max_size=2).map(
        lambda extra: {**extra, **known}
    )
)


def _dumps(value: Any) -> str:
    try:
        return json.dumps(value)  # allow_nan: NaN and Infinity appear as bare tokens
    except (ValueError, RecursionError):  # ints past Python's 4300-digit limit, or too deep
        return "{}"


def _truncated(text: str, cut: int) -> str:
    return text[: cut % (len(text) + 1)]


CONFIG_TEXTS = st.one_of(
    CONFIG_OBJECTS.map(_dumps),
    CONFIG_OBJECTS.map(_dumps),  # twice: mostly objects, the raw texts below still appear often
    st.builds(_truncated, CONFIG_OBJECTS.map(_dumps), st.integers(0, 1_000)),
    HOSTILE.map(_dumps),
    st.builds(lambda digits: '{"job_size": 1' + "0" * digits + "}", st.integers(300, 20_000)),
    st.builds(lambda d: "[" * d + "]" * d, st.integers(1, 20_000)),
    st.builds(lambda d: '{"a":' * d + "1" + "}" * d, st.integers(1, 4_000)),
    st.builds(lambda d: '{"model": ' * d + "{}" + "}" * d, st.integers(1, 12)),
    st.sampled_from(
        ['{"job_size": NaN}', '{"batch_size": Infinity}', '{"job_size": -Infinity}', "  ", "null"]
    ),
    TEXT,
    OVERSIZED_TEXT,
    st.none(),
)

# -- plugin payloads -------------------------------------------------------------------------------

_ID = st.text(st.characters(codec="utf-8"), min_size=1, max_size=200)
# Hub may leave a class unmapped with a null or empty schemaId, and send null for optional fields.
_CLASS_MAPPING = st.fixed_dictionaries(
    {"schemaId": _ID | st.none() | st.just(""), "modelClass": st.sampled_from(["Face", "Car", "x"])}
)
# Mostly keys as Hub issues them (visible ASCII), some with anything a key must not hold.
_API_KEY = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=1000
) | st.text(st.characters(codec="utf-8"), min_size=1, max_size=1000)
VALID_FIELDS = {
    "projectId": _ID,
    "apiKey": _API_KEY,
    "session": _ID,
    "orgId": SAFE_TEXT | st.none(),
    "runBy": SAFE_TEXT | st.none(),
    "categorySchema": st.none() | st.lists(_CLASS_MAPPING, max_size=4),
    "batches": st.lists(SAFE_TEXT, max_size=4) | st.none(),
    "configJSON": st.none() | CONFIG_TEXTS,
}
REQUIRED = ("projectId", "apiKey", "session")
KNOWN = tuple(VALID_FIELDS)
_DELETE = object()


def _with_mutations(payload: dict[str, Any], mutations: list[tuple[str, Any]]) -> dict[str, Any]:
    mutated = dict(payload)
    for key, value in mutations:
        if value is _DELETE:
            mutated.pop(key, None)
        else:
            mutated[key] = value
    return mutated


_BAD_VALUES = st.one_of(
    HOSTILE,
    st.just(_DELETE),
    st.just(""),
    st.text(st.characters(codec="utf-8"), min_size=201, max_size=1_200),  # past the id limits
    st.lists(_CLASS_MAPPING | JSON_VALUES, min_size=1_001, max_size=1_100),  # too many entries
    st.lists(SCALARS, max_size=3),
)
VALID_PAYLOADS = st.fixed_dictionaries(
    {key: VALID_FIELDS[key] for key in REQUIRED},
    optional={
        **{key: VALID_FIELDS[key] for key in KNOWN if key not in REQUIRED},
        "stage": JSON_VALUES,  # Hub sends keys for other plugin types: ignored
        "unknown": HOSTILE,
    },
)
MUTATED_PAYLOADS = st.builds(
    _with_mutations,
    VALID_PAYLOADS,
    st.lists(st.tuples(st.sampled_from([*KNOWN, "unknown"]), _BAD_VALUES), max_size=2),
)
# Weighted by hand: st.one_of flattens nested one_ofs, which would let HOSTILE's own branches
# crowd out the near-valid payloads, the interesting boundary.
PAYLOADS = st.sampled_from(
    [MUTATED_PAYLOADS] * 3 + [st.dictionaries(st.sampled_from(KNOWN) | TEXT, HOSTILE, max_size=6), HOSTILE]
).flatmap(lambda strategy: strategy)
# Valid payloads whose Config JSON is then refused: the other way a run must not start.
BAD_CONFIG_PAYLOADS = st.builds(
    lambda payload, text: {**payload, "configJSON": text}, VALID_PAYLOADS, CONFIG_TEXTS
)
