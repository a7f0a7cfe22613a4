"""The verifier's fast path must agree with the definition (canonical_json) on every line.

The fast path accepts only text that is already canonical and then hashes the line minus
its ``hash`` member; the general path parses JSON and calls canonical_json. These tests
hold the two together on the vector, on generated transactions with awkward strings, and
on non-canonical encodings of the same transactions (which only the general path may
take, and which must verify to the very same hashes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify import ledger
from alot_verify._testing import seal
from alot_verify.canonical import canonical_json
from alot_verify.errors import InputError
from alot_verify.merkle import leaf_hash
from hypothesis import given, settings
from hypothesis import strategies as st


def _both_paths(text: str) -> tuple[Any, Any]:
    fast = ledger._parse_fast(text.encode("utf-8", "surrogatepass"), 1, {})
    return fast, ledger._parse_general(text, 1)


BODY = 4  # the body bytes in a parsed line


def test_every_vector_line_takes_the_fast_path_and_agrees(spec_vectors: Path) -> None:
    lines = (spec_vectors / "ledger-small.jsonl").read_text(encoding="utf-8").splitlines()
    non_ascii = 0
    for text in lines:
        fast, general = _both_paths(text)
        assert fast is not None, text
        assert fast == general
        body = {k: v for k, v in json.loads(text).items() if k != "hash"}
        assert general[BODY] == canonical_json(body)
        assert leaf_hash(general[BODY]).hex() == general[2]
        non_ascii += not text.isascii()
    assert non_ascii > 0  # the vector exercises UTF-8 in hashed data


def _reencodings(transaction: dict[str, Any]) -> list[str]:
    """The same transaction written in ways that are valid JSON but not canonical."""
    reversed_members = dict(reversed(list(transaction.items())))
    return [
        json.dumps(transaction),  # spaces after separators
        json.dumps(transaction, sort_keys=True, separators=(",", ":")),  # \u escapes if non-ASCII
        json.dumps(reversed_members, separators=(",", ":"), ensure_ascii=False),
        json.dumps(transaction, indent=None, separators=(", ", ":"), ensure_ascii=False),
        " " + json.dumps(transaction, separators=(",", ":"), ensure_ascii=False) + " ",
    ]


def test_non_canonical_encodings_verify_to_the_same_hashes(spec_vectors: Path) -> None:
    lines = (spec_vectors / "ledger-small.jsonl").read_text(encoding="utf-8").splitlines()
    canonical_summary = ledger.verify_ledger(lines)
    for variant in range(5):
        rewritten = [_reencodings(json.loads(text))[variant] for text in lines]
        assert rewritten != lines
        summary = ledger.verify_ledger(rewritten)
        assert summary.head_hash == canonical_summary.head_hash
        assert summary.merkle_root == canonical_summary.merkle_root


@pytest.mark.parametrize(
    ("original", "replacement"),
    [
        ('"kind":"', '"kind":"\\u0078'),  # an escape the canonical form would not use
        ('"refs":{', '"refs":{"a\\/b":"c",'),  # escaped solidus
        ('"metadata":{', '"metadata":{"z":"\\u00e9",'),
    ],
)
def test_escaped_text_is_hashed_by_its_canonical_form(original: str, replacement: str) -> None:
    (line,) = seal([_body("x", {"lot_id": "l"}, {"n": 1})])
    edited = line.replace(original, replacement, 1)
    transaction = ledger._DECODER.decode(edited)
    body = {k: v for k, v in transaction.items() if k != "hash"}
    fast, general = _both_paths(edited.rstrip("\n"))
    assert fast is None
    assert general[BODY] == canonical_json(body)


def test_hash_over_non_canonical_bytes_fails() -> None:
    """A writer that hashed its own spacing instead of the canonical form is caught."""
    body = _body("entry_purchased", {"lot_id": "l"}, {"tickets": 2})
    body["prev_hash"] = ledger.GENESIS_PREV_HASH
    spaced = json.dumps(body, sort_keys=True)
    body["hash"] = leaf_hash(spaced.encode()).hex()
    with pytest.raises(ledger.LedgerFailed) as caught:
        ledger.verify_ledger([json.dumps(body, sort_keys=True)])
    assert [f.check for f in caught.value.failures] == ["hash"]


def test_duplicate_members_are_refused_even_when_the_last_one_is_canonical() -> None:
    (line,) = seal([_body("x", {}, {})])
    doubled = line.replace('"kind":"x"', '"kind":"y","kind":"x"', 1)
    with pytest.raises(InputError, match="appears twice"):
        ledger.verify_ledger([doubled])


def test_lone_surrogate_is_an_input_error() -> None:
    (line,) = seal([_body("x", {}, {})])
    with pytest.raises(InputError, match="line 1"):
        ledger.verify_ledger([line.replace('"metadata":{', '"metadata":{"a":"\\ud800",', 1)])


def _body(kind: str, refs: dict[str, str], metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "seq": 1,
        "id": "00000000-0000-4000-8000-000000000001",
        "kind": kind,
        "created_at": "2026-03-04T05:06:07.080910Z",
        "refs": refs,
        "metadata": metadata,
        "postings": [
            {
                "account": "platform:cash",
                "asset": "USD",
                "amount": 250,
                "balance_after": 250,
                "account_version": 1,
            },
            {
                "account": "lot:a:escrow",
                "asset": "USD",
                "amount": -250,
                "balance_after": -250,
                "account_version": 1,
            },
        ],
    }


# Strings that stress escaping and ordering: controls, quotes, backslashes, C1 controls,
# characters either side of U+D800 and U+E000, and astral characters (UTF-16 pairs).
AWKWARD = st.text(
    alphabet=st.sampled_from(
        list('ab_:-"\\/\x00\x1f\x7f\x80\u00e9\u2028\ud7ff\ue000\uffff\U0001f600 ')
    ),
    max_size=6,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | AWKWARD,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(AWKWARD, children, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(
    refs=st.dictionaries(AWKWARD.filter(bool), AWKWARD, max_size=4),
    metadata=st.dictionaries(AWKWARD, JSON_VALUES, max_size=4),
)
def test_fast_and_general_paths_agree_on_awkward_transactions(
    refs: dict[str, str], metadata: dict[str, Any]
) -> None:
    (line,) = seal([_body("entry_purchased", refs, metadata)])
    text = line.rstrip("\n")
    # seal() writes by the definition for anything non-ASCII; double-check the line.
    body = {k: v for k, v in json.loads(text).items() if k != "hash"}
    fast, general = _both_paths(text)
    assert general[BODY] == canonical_json(body)
    if fast is not None:
        assert fast == general
    for variant in _reencodings(json.loads(text)):
        variant_fast, variant_general = _both_paths(variant)
        assert variant_general[BODY] == general[BODY]
        assert variant_fast is None or variant_fast == general


@pytest.mark.parametrize(
    "value",
    [
        "\ud7ff",  # below the surrogates, but 0xED-led in UTF-8
        "\ue000",
        "\uffff",
        "\U0001f600",  # astral: sorts differently by UTF-16 unit and by code point
    ],
)
def test_characters_the_fast_path_leaves_to_the_definition(value: str) -> None:
    (line,) = seal([_body("x", {value: "a", "b": value}, {value: value})])
    fast, general = _both_paths(line.rstrip("\n"))
    assert fast is None
    body = {k: v for k, v in json.loads(line).items() if k != "hash"}
    assert general[BODY] == canonical_json(body)
    assert ledger.verify_ledger([line.encode()]).transactions == 1


def test_multibyte_characters_below_u_d000_take_the_fast_path() -> None:
    (line,) = seal([_body("x", {"\u00e9\u2028": "\u4e2d"}, {"\ucfff": "caf\u00e9"})])
    fast, general = _both_paths(line.rstrip("\n"))
    assert fast is not None
    assert fast == general


def test_invalid_utf8_inside_a_canonical_looking_line_is_an_input_error() -> None:
    (line,) = seal([_body("x", {"lot_id": "caf\u00e9"}, {})])
    broken = line.encode().replace("\u00e9".encode(), b"\xc3\x28", 1)
    assert ledger._CANONICAL_LINE.fullmatch(broken) is not None  # only UTF-8 decoding refuses it
    assert ledger._parse_fast(broken, 1, {}) is None
    with pytest.raises(InputError, match="line 1: not UTF-8"):
        ledger.verify_ledger([broken])


def test_unsorted_or_repeated_refs_take_the_general_path() -> None:
    (line,) = seal([_body("x", {"a": "1", "b": "2"}, {})])
    for edited in (
        line.replace('"refs":{"a":"1","b":"2"}', '"refs":{"b":"2","a":"1"}'),
        line.replace('"refs":{"a":"1","b":"2"}', '"refs":{"a":"1","a":"1"}'),
    ):
        assert ledger._parse_fast(edited.encode(), 1, {}) is None
