"""drand beacon signatures against real published rounds (each BLS check takes ~0.5 s)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify.beacon import (
    DEFAULT_CHAIN,
    QUICKNET,
    SCHEME_CHAINED,
    SCHEME_UNCHAINED_G1,
    beacon_message,
    randomness_from_signature,
    verify_beacon_signature,
)
from alot_verify.draw import verify_draw_proof
from alot_verify.errors import DrawVerificationError, InputError

SPEC_VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
VECTORS = {
    v["name"]: v
    for v in json.loads((SPEC_VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
QUICKNET_VECTOR = VECTORS["quicknet-beacon"]
CHAINED_VECTOR = VECTORS["default-chain-beacon"]
# Published by the League of Entropy: quicknet round 1000.
ROUND_1000_SIGNATURE = bytes.fromhex(
    "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
    "e342b73a8dd2bacbe47e4b6b63ed5e39"
)
# The compressed generator of G1: a valid point in the right subgroup, signed by nobody.
G1_GENERATOR = bytes.fromhex(
    "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac58"
    "6c55e83ff97a1aeffb3af00adb22c6bb"
)


def test_quicknet_round_randomness_is_the_hash_of_its_signature() -> None:
    assert randomness_from_signature(ROUND_1000_SIGNATURE).hex() == (
        "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"
    )


def test_beacon_messages() -> None:
    # Unchained: sha256 of the round as uint64 big-endian; chained: previous signature first.
    round_1000 = hashlib.sha256(bytes.fromhex("00000000000003e8")).digest()
    assert beacon_message(SCHEME_UNCHAINED_G1, 1000) == round_1000
    previous = bytes.fromhex(CHAINED_VECTOR["proof"]["beacon"]["previous_signature"])
    round_1 = hashlib.sha256(previous + bytes.fromhex("0000000000000001")).digest()
    assert beacon_message(SCHEME_CHAINED, 1, previous) == round_1


def test_published_quicknet_round_verifies() -> None:
    verify_beacon_signature(
        scheme=SCHEME_UNCHAINED_G1,
        round_number=1000,
        signature=ROUND_1000_SIGNATURE,
        public_key=bytes.fromhex(QUICKNET.public_key),
    )


def test_quicknet_signature_does_not_verify_for_another_round() -> None:
    with pytest.raises(DrawVerificationError) as caught:
        verify_beacon_signature(
            scheme=SCHEME_UNCHAINED_G1,
            round_number=1001,
            signature=ROUND_1000_SIGNATURE,
            public_key=bytes.fromhex(QUICKNET.public_key),
        )
    assert [f.field for f in caught.value.failures] == ["beacon.signature"]


def test_a_valid_point_that_nobody_signed_does_not_verify() -> None:
    with pytest.raises(DrawVerificationError):
        verify_beacon_signature(
            scheme=SCHEME_UNCHAINED_G1,
            round_number=1000,
            signature=G1_GENERATOR,
            public_key=bytes.fromhex(QUICKNET.public_key),
        )


def test_bytes_that_are_not_a_curve_point_do_not_verify() -> None:
    with pytest.raises(DrawVerificationError):
        verify_beacon_signature(
            scheme=SCHEME_UNCHAINED_G1,
            round_number=1000,
            signature=bytes([0x80]) + b"\x00" * 46 + b"\x05",
            public_key=bytes.fromhex(QUICKNET.public_key),
        )


def test_a_public_key_of_the_wrong_size_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        verify_beacon_signature(
            scheme=SCHEME_UNCHAINED_G1,
            round_number=1000,
            signature=ROUND_1000_SIGNATURE,
            public_key=bytes.fromhex(DEFAULT_CHAIN.public_key),
        )
    assert caught.value.where == "beacon public key"


def test_quicknet_vector_verifies_with_the_chain_key() -> None:
    result = verify_draw_proof(
        QUICKNET_VECTOR["proof"],
        beacon_public_key=bytes.fromhex(QUICKNET_VECTOR["beacon_public_key"]),
    )
    assert "beacon.signature" in result.checks
    assert result.unchecked == ()


def test_chained_vector_verifies_with_the_chain_key() -> None:
    result = verify_draw_proof(
        CHAINED_VECTOR["proof"],
        beacon_public_key=bytes.fromhex(CHAINED_VECTOR["beacon_public_key"]),
    )
    assert "beacon.signature" in result.checks


def test_chained_beacon_with_a_wrong_previous_signature_fails() -> None:
    # Round 1 follows the genesis seed; anything else fails, and the signature (which
    # signs the previous signature) with it.
    proof: dict[str, Any] = copy.deepcopy(CHAINED_VECTOR["proof"])
    proof["beacon"]["previous_signature"] = "ab" * 96
    with pytest.raises(DrawVerificationError) as caught:
        verify_draw_proof(proof)
    assert [f.field for f in caught.value.failures] == [
        "beacon.previous_signature",
        "beacon.signature",
    ]
