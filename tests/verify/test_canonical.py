"""Canonical JSON: the published vectors, RFC 8785 ordering and escaping, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alot_verify.canonical import MAX_SAFE_INTEGER, canonical_json
from alot_verify.errors import InputError
from hypothesis import given
from hypothesis import strategies as st


def _vectors(spec_vectors: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((spec_vectors / "canonical-json.json").read_text())


def test_published_vectors(spec_vectors: Path) -> None:
    doc = _vectors(spec_vectors)
    assert len(doc["cases"]) >= 5
    for case in doc["cases"]:
        assert canonical_json(case["input"]).hex() == case["canonical_utf8_hex"]


def test_published_rejections(spec_vectors: Path) -> None:
    for case in _vectors(spec_vectors)["rejected"]:
        with pytest.raises(InputError):
            canonical_json(json.loads(case["input_json"]))


def test_members_sort_by_utf16_code_units_not_code_points() -> None:
    # U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33 in UTF-16
    # although its code point is larger: RFC 8785 section 3.2.3.
    out = canonical_json({"\ufb33": 1, "\U0001f600": 2}).decode()
    assert out == '{"\U0001f600":2,"\ufb33":1}'


def test_escapes_like_json_stringify() -> None:
    value = '"\\\b\f\n\r\t\u0000\u001f\u007f\u2028é'
    assert canonical_json(value) == ('"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\u2028é"'.encode())


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"a": 1.0}, "$.a"),
        ({"a": [1, 2.5]}, "$.a[1]"),
        ({"a": MAX_SAFE_INTEGER + 1}, "$.a"),
        ({"a": -MAX_SAFE_INTEGER - 1}, "$.a"),
        ({1: "x"}, "$"),
        ({"a": b"bytes"}, "$.a"),
        ({"a": {1, 2}}, "$.a"),
        ("\ud800", "$"),
    ],
)
def test_refuses_what_would_not_round_trip(value: object, where: str) -> None:
    with pytest.raises(InputError) as info:
        canonical_json(value)
    assert info.value.where == where


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_output_parses_back_to_the_input_and_is_stable(value: object) -> None:
    encoded = canonical_json(value)
    assert json.loads(encoded) == value
    assert canonical_json(json.loads(encoded)) == encoded


json_values_with_astral_names = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(
                alphabet=st.sampled_from("a\ufb33\U0001f600\uffff\ue000\x01\u00e9"), max_size=3
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@given(json_values_with_astral_names)
def test_fast_path_writes_the_reference_bytes(value: object) -> None:
    from alot_verify.canonical import _canonical_json_reference

    assert canonical_json(value) == _canonical_json_reference(value)
