"""Pinned drand chains: a beacon is checked against its chain's pinned info by default;
a chain nobody pinned fails, and an auditor can pin one explicitly.

The synthetic chain below is not drand's: it is a BLS key made here, pinned explicitly
in each test that accepts its rounds.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from alot_verify.beacon import (
    DEFAULT_CHAIN,
    KNOWN_CHAINS,
    QUICKNET,
    SCHEME_CHAINED,
    DrandChain,
    beacon_message,
    chain_from_info,
    randomness_from_signature,
    verify_round,
)
from alot_verify.cli import cli
from alot_verify.draw import Entry, commitment_v2, compute_v2, draw_checks, freeze_v2
from alot_verify.errors import DrawVerificationError, InputError
from click.testing import CliRunner
from py_ecc.bls import G2Basic

VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
POSITIVE = {
    v["name"]: v
    for v in json.loads((VECTORS / "draw-alot-v2.json").read_text(encoding="utf-8"))["vectors"]
}
NEGATIVE = json.loads((VECTORS / "draw-alot-v2-negative.json").read_text(encoding="utf-8"))

_SECRET_KEY = 0x2A2A2A2A  # the synthetic chain's key: known to the test, so it can sign
_GENESIS_SEED = hashlib.sha256(b"synthetic test chain").hexdigest()


def _synthetic_info() -> dict[str, Any]:
    public_key = G2Basic.SkToPk(_SECRET_KEY).hex()
    chain = DrandChain(
        name="synthetic",
        chain_hash="",
        scheme=SCHEME_CHAINED,
        public_key=public_key,
        genesis_time=1_700_000_000,
        period=10,
        genesis_seed=_GENESIS_SEED,
        beacon_id="synthetic",
    )
    return {
        "public_key": public_key,
        "period": chain.period,
        "genesis_time": chain.genesis_time,
        "hash": chain.computed_chain_hash(),
        "groupHash": _GENESIS_SEED,
        "schemeID": SCHEME_CHAINED,
        "metadata": {"beaconID": "synthetic"},
    }


def _synthetic_round(round_number: int) -> dict[str, Any]:
    previous = hashlib.sha256(b"previous %d" % round_number).digest() * 3  # 96 bytes
    signature = G2Basic.Sign(_SECRET_KEY, beacon_message(SCHEME_CHAINED, round_number, previous))
    return {
        "round": round_number,
        "randomness": randomness_from_signature(signature).hex(),
        "signature": signature.hex(),
        "previous_signature": previous.hex(),
    }


def _synthetic_proof() -> dict[str, Any]:
    info = _synthetic_info()
    entries = [Entry("6f1c2d4e-8a9b-4c3d-9e8f-0a1b2c3d4e5f", 1, 10)]
    server_seed = "11" * 32
    funded_at = 1_700_000_500
    round_number = (funded_at + 30 - info["genesis_time"]) // info["period"] + 2
    inputs = freeze_v2(
        lot_id="0b7a2f4c-3d5e-4f60-8a1b-2c3d4e5f6a7b",
        funded_at="2023-11-14T22:21:40.000000Z",
        escrow_cents=1000,
        entries=entries,
        server_seed_commitment=commitment_v2(server_seed),
        beacon={"chain_hash": info["hash"], "scheme": SCHEME_CHAINED, "round": round_number},
    )
    return compute_v2(
        draw_inputs=inputs,
        server_seed=server_seed,
        entries=entries,
        beacon=_synthetic_round(round_number),
    )


def _failed(proof: dict[str, Any], **options: Any) -> set[str]:
    checks, unchecked = draw_checks(proof, **options)
    assert unchecked == []
    return {c.name for c in checks if not c.passed}


def test_the_pinned_chain_hashes_are_the_hashes_of_their_info() -> None:
    for chain in KNOWN_CHAINS.values():
        assert chain.computed_chain_hash() == chain.chain_hash


TAMPERED = [v for v in NEGATIVE["vectors"] if "must_fail" in v]
MALFORMED = [v for v in NEGATIVE["vectors"] if "malformed" in v]


def test_every_negative_vector_is_tampered_or_malformed() -> None:
    assert len(TAMPERED) + len(MALFORMED) == len(NEGATIVE["vectors"])
    assert not [v for v in NEGATIVE["vectors"] if "must_fail" in v and "malformed" in v]
    assert {"late-round", "forged-beacon-signature", "unknown-chain"} <= {
        v["name"] for v in TAMPERED
    }


@pytest.mark.parametrize("vector", TAMPERED, ids=lambda v: v["name"])
def test_each_negative_vector_fails_exactly_its_checks(vector: dict[str, Any]) -> None:
    assert _failed(vector["proof"]) == set(vector["must_fail"])


@pytest.mark.parametrize("vector", MALFORMED, ids=lambda v: v["name"])
def test_each_malformed_vector_is_refused_naming_its_field(vector: dict[str, Any]) -> None:
    with pytest.raises(InputError) as caught:
        draw_checks(vector["proof"])
    assert caught.value.where == vector["malformed"]


def test_negative_vectors_fail_on_the_command_line(tmp_path: Path) -> None:
    for vector in NEGATIVE["vectors"]:
        path = tmp_path / f"{vector['name']}.json"
        path.write_text(json.dumps(vector["proof"]), encoding="utf-8")
        result = CliRunner().invoke(cli, ["draw", str(path)])
        if "malformed" in vector:
            assert result.exit_code == 2, result.output
            continue
        assert result.exit_code == 1, result.output
        assert "FAIL: " in result.output


def test_a_synthetic_chain_fails_unless_pinned() -> None:
    proof = _synthetic_proof()
    assert _failed(proof) == {
        "beacon.chain",
        "beacon.chosen_before_published",
        "beacon.signature",
    }
    chain = chain_from_info(_synthetic_info())
    assert _failed(proof, chains={chain.chain_hash: chain}) == set()


def test_a_synthetic_chain_pinned_on_the_command_line(tmp_path: Path) -> None:
    proof_path = tmp_path / "proof.json"
    proof_path.write_text(json.dumps(_synthetic_proof()), encoding="utf-8")
    info_path = tmp_path / "info.json"
    info_path.write_text(json.dumps(_synthetic_info()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["draw", "--chain-info", str(info_path), str(proof_path)])
    assert result.exit_code == 0, result.output
    assert "OK: beacon.signature is drand synthetic's signature of round" in result.output


def test_chain_info_whose_hash_is_not_its_hash_is_refused(tmp_path: Path) -> None:
    info = _synthetic_info()
    info["period"] = 3  # the key stays, the timing changes: a different chain
    with pytest.raises(InputError, match="is not the hash of this info"):
        chain_from_info(info)
    info_path = tmp_path / "info.json"
    info_path.write_text(json.dumps(info), encoding="utf-8")
    proof_path = tmp_path / "proof.json"
    proof_path.write_text(json.dumps(_synthetic_proof()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["draw", "--chain-info", str(info_path), str(proof_path)])
    assert result.exit_code == 2
    assert "is not the hash of this info" in result.output
    # `winner` pins chains the same way, and refuses the same info before reading the ledger.
    absent = str(tmp_path / "absent.jsonl")
    result = CliRunner().invoke(
        cli, ["winner", "--ledger", absent, "--lot", "x", "--chain-info", str(info_path)]
    )
    assert result.exit_code == 2
    assert "is not the hash of this info" in result.output


def test_a_pinned_chain_cannot_take_a_known_chains_hash_with_another_key() -> None:
    info = _synthetic_info()
    info["hash"] = QUICKNET.chain_hash
    with pytest.raises(InputError):
        chain_from_info(info)


def test_verify_round_accepts_the_real_rounds() -> None:
    for name, chain in (("quicknet-beacon", QUICKNET), ("default-chain-beacon", DEFAULT_CHAIN)):
        reading = POSITIVE[name]["proof"]["beacon"]
        randomness = verify_round(chain, reading["round"], reading)
        assert randomness.hex() == reading["randomness"]


def test_verify_round_refuses_a_forgery_with_recomputed_randomness() -> None:
    forged = copy.deepcopy(NEGATIVE["vectors"][0]["proof"]["beacon"])
    with pytest.raises(DrawVerificationError) as caught:
        verify_round(QUICKNET, forged["round"], forged)
    assert [f.field for f in caught.value.failures] == ["beacon.signature"]


def test_verify_round_refuses_round_1_not_following_the_genesis_seed() -> None:
    reading = copy.deepcopy(POSITIVE["default-chain-beacon"]["proof"]["beacon"])
    reading["previous_signature"] = "00" * 32
    with pytest.raises(DrawVerificationError) as caught:
        verify_round(DEFAULT_CHAIN, 1, reading)
    assert [f.field for f in caught.value.failures] == ["beacon.previous_signature"]
