"""drand beacons: the external public randomness an ``alot-v2`` draw can mix in.

A drand round is a threshold BLS signature by the League of Entropy over a message that
depends only on the round number (unchained schemes) or also on the previous round's
signature (the chained scheme). Its ``randomness`` is ``SHA-256(signature)``. Nobody,
not even the operator of ALOT!, can know it before the network publishes the round, so
a round chosen when a lot is funded, and published after, takes away the operator's
foreknowledge of the draw.

Two schemes are supported (drand's scheme ids):

- ``bls-unchained-g1-rfc9380`` (the "quicknet" chain): signature on G1 (48 bytes),
  public key on G2 (96 bytes), message ``SHA-256(uint64_be(round))``, hashed to G1 with
  the RFC 9380 suite ``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_``.
- ``pedersen-bls-chained`` (the "default" chain): signature on G2 (96 bytes), public key
  on G1 (48 bytes), message ``SHA-256(previous_signature || uint64_be(round))``, hashed to
  G2 with ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_``.

A round is only as good as the chain it claims: the verifier pins each chain's info
(public key, period, genesis time, genesis seed, beacon id, scheme) and recomputes its
chain hash from it, so a proof naming a chain hash names exactly one public key. The two
League of Entropy mainnet chains are pinned here; any other chain must be pinned by the
auditor (``alot-verify draw --chain-info FILE``), or the beacon fails verification.

Checking the signature needs pairings: ``py_ecc`` (a dependency), imported only when a
signature is checked, because it is slow to import and each verification takes about
half a second in pure Python.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from alot_verify.errors import DrawVerificationError, FieldMismatch, InputError

SCHEME_UNCHAINED_G1 = "bls-unchained-g1-rfc9380"
SCHEME_CHAINED = "pedersen-bls-chained"

_DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

# (signature bytes, public key bytes) per scheme.
_SIZES: dict[str, tuple[int, int]] = {
    SCHEME_UNCHAINED_G1: (48, 96),
    SCHEME_CHAINED: (96, 48),
}
SCHEMES = frozenset(_SIZES)


# drand's beacon id of its first chain, left out of the chain hash.
_DEFAULT_BEACON_ID = "default"


@dataclass(frozen=True)
class DrandChain:
    """Public parameters of a drand chain, as served at ``/<chain hash>/info``.

    ``genesis_seed`` is the info's ``groupHash`` (the chained scheme's "previous
    signature" of round 1) and ``beacon_id`` its ``metadata.beaconID``.
    """

    name: str
    chain_hash: str
    scheme: str
    public_key: str
    genesis_time: int
    period: int
    genesis_seed: str
    beacon_id: str

    def computed_chain_hash(self) -> str:
        """The chain hash as drand derives it from the chain's info.

        SHA-256(uint32_be(period) || uint64_be(genesis_time) || public key || genesis seed
        || beacon id), the beacon id left out for drand's ``default`` one. This reproduces
        both League of Entropy mainnet chain hashes from their published info.
        """
        message = (
            self.period.to_bytes(4, "big")
            + self.genesis_time.to_bytes(8, "big")
            + bytes.fromhex(self.public_key)
            + bytes.fromhex(self.genesis_seed)
        )
        if self.beacon_id not in ("", _DEFAULT_BEACON_ID):
            message += self.beacon_id.encode()
        return hashlib.sha256(message).hexdigest()

    def round_time(self, round_number: int) -> int:
        """Unix time at which ``round_number`` is due to be published (round 1 at genesis)."""
        return self.genesis_time + (round_number - 1) * self.period

    def first_round_after(self, unix_time: int) -> int:
        """The first round due strictly after ``unix_time``: one that cannot exist yet."""
        if unix_time < self.genesis_time:
            return 1
        return (unix_time - self.genesis_time) // self.period + 2


QUICKNET = DrandChain(
    name="quicknet",
    chain_hash="52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    scheme=SCHEME_UNCHAINED_G1,
    public_key=(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
        "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
        "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
    ),
    genesis_time=1692803367,
    period=3,
    genesis_seed="f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
    beacon_id="quicknet",
)

DEFAULT_CHAIN = DrandChain(
    name="default",
    chain_hash="8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
    scheme=SCHEME_CHAINED,
    public_key="868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
    genesis_time=1595431050,
    period=30,
    genesis_seed="176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
    beacon_id="default",
)

KNOWN_CHAINS: dict[str, DrandChain] = {c.chain_hash: c for c in (QUICKNET, DEFAULT_CHAIN)}
"""The League of Entropy mainnet chains, by chain hash: pinned, checked by default."""


def chain_from_info(info: Any, *, where: str = "chain info") -> DrandChain:
    """A chain pinned from drand's ``/<chain hash>/info`` JSON.

    The info's ``hash`` must be the hash of the rest of the info
    (``DrandChain.computed_chain_hash``): a pinned hash then stands for one public key.
    """
    if not isinstance(info, Mapping):
        raise InputError("drand chain info is a JSON object", where=where)
    try:
        metadata = info.get("metadata") or {}
        chain = DrandChain(
            name=str(metadata.get("beaconID") or _DEFAULT_BEACON_ID),
            chain_hash=_info_hex(info["hash"], 32, f"{where}.hash"),
            scheme=str(info.get("schemeID") or SCHEME_CHAINED),
            public_key=_info_hex(info["public_key"], None, f"{where}.public_key"),
            genesis_time=_info_int(info["genesis_time"], f"{where}.genesis_time"),
            period=_info_int(info["period"], f"{where}.period"),
            genesis_seed=_info_hex(info["groupHash"], None, f"{where}.groupHash"),
            beacon_id=str(metadata.get("beaconID") or _DEFAULT_BEACON_ID),
        )
    except KeyError as exc:
        raise InputError(f"missing member {exc.args[0]!r}", where=where) from exc
    key_size = _sizes(chain.scheme)[1]
    if len(chain.public_key) != 2 * key_size:
        raise InputError(
            f"a {chain.scheme} public key is {key_size} bytes", where=f"{where}.public_key"
        )
    if chain.period < 1:
        raise InputError("must be at least 1 second", where=f"{where}.period")
    computed = chain.computed_chain_hash()
    if computed != chain.chain_hash:
        raise InputError(
            f"hash {chain.chain_hash} is not the hash of this info ({computed})",
            where=f"{where}.hash",
        )
    return chain


def pinned_chains(extra: Mapping[str, DrandChain] | None = None) -> dict[str, DrandChain]:
    """The chains a verifier accepts: the League of Entropy's and those the auditor pins."""
    chains = dict(KNOWN_CHAINS)
    chains.update(extra or {})
    return chains


def _info_hex(value: Any, size: int | None, where: str) -> str:
    if not isinstance(value, str):
        raise InputError("must be a hex string", where=where)
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise InputError("not hex", where=where) from exc
    if size is not None and len(raw) != size:
        raise InputError(f"must be {size} bytes", where=where)
    return raw.hex()


def _info_int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError("must be a non-negative integer", where=where)
    return value


def randomness_from_signature(signature: bytes) -> bytes:
    """drand's round randomness: SHA-256 of the round's signature."""
    return hashlib.sha256(signature).digest()


def signature_size(scheme: str) -> int:
    """Length in bytes of a signature under ``scheme``."""
    return _sizes(scheme)[0]


def beacon_message(scheme: str, round_number: int, previous_signature: bytes = b"") -> bytes:
    """The 32-byte message the drand network signs for ``round_number``."""
    _sizes(scheme)
    if not 0 <= round_number < 2**64:
        raise InputError("round must fit in an unsigned 64-bit integer", where="beacon.round")
    prefix = previous_signature if scheme == SCHEME_CHAINED else b""
    return hashlib.sha256(prefix + round_number.to_bytes(8, "big")).digest()


def verify_beacon_signature(
    *,
    scheme: str,
    round_number: int,
    signature: bytes,
    public_key: bytes,
    previous_signature: bytes = b"",
) -> None:
    """Check a drand round's BLS signature under the chain's public key.

    Raises DrawVerificationError naming ``beacon.signature`` when it does not verify,
    and InputError when the public key has the wrong size.
    """
    signature_bytes, key_bytes = _sizes(scheme)
    if len(public_key) != key_bytes:
        raise InputError(
            f"a {scheme} public key is {key_bytes} bytes, got {len(public_key)}",
            where="beacon public key",
        )
    if len(signature) != signature_bytes:
        raise InputError(
            f"a {scheme} signature is {signature_bytes} bytes, got {len(signature)}",
            where="beacon.signature",
        )
    message = beacon_message(scheme, round_number, previous_signature)
    if scheme == SCHEME_UNCHAINED_G1:
        valid = _verify_g1_signature(public_key, message, signature)
    else:
        valid = _verify_g2_signature(public_key, message, signature)
    if not valid:
        raise DrawVerificationError(
            [
                FieldMismatch(
                    "beacon.signature",
                    f"a {scheme} signature of round {round_number} by the chain's key",
                    signature.hex(),
                    "BLS signature does not verify",
                )
            ]
        )


def _sizes(scheme: str) -> tuple[int, int]:
    sizes = _SIZES.get(scheme)
    if sizes is None:
        raise InputError(
            f"unsupported drand scheme {scheme!r} (supported: {', '.join(sorted(SCHEMES))})",
            where="beacon.scheme",
        )
    return sizes


def _verify_g1_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Minimal-signature-size BLS (signature on G1, key on G2) with the RFC 9380 suite."""
    from py_ecc.bls.g2_primitives import subgroup_check
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.bls.typing import G1Compressed, G2Compressed
    from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
    from py_ecc.optimized_bls12_381.optimized_curve import G2, is_inf, neg
    from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing

    try:
        signature_point = decompress_G1(G1Compressed(int.from_bytes(signature, "big")))
        key_point = decompress_G2(
            G2Compressed(
                (int.from_bytes(public_key[:48], "big"), int.from_bytes(public_key[48:], "big"))
            )
        )
    except ValueError:
        return False
    if is_inf(signature_point) or is_inf(key_point):
        return False
    if not subgroup_check(signature_point) or not subgroup_check(key_point):
        return False
    # py_ecc annotates the hash argument as a hash object but calls it as a constructor,
    # exactly as its own ciphersuites pass hashlib.sha256.
    message_point = hash_to_G1(message, _DST_G1, hashlib.sha256)  # type: ignore[arg-type]
    # e(signature, g2) == e(H(m), pk)  <=>  e(signature, g2) * e(H(m), -pk) == 1
    product = pairing(G2, signature_point, final_exponentiate=False) * pairing(
        neg(key_point), message_point, final_exponentiate=False
    )
    return bool(final_exponentiate(product) == FQ12.one())


def _verify_g2_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """The IETF BLS "basic" suite (signature on G2, key on G1), as drand's chained scheme."""
    from eth_typing import BLSPubkey, BLSSignature
    from py_ecc.bls.ciphersuites import G2Basic

    return bool(G2Basic.Verify(BLSPubkey(public_key), message, BLSSignature(signature)))


def previous_signature_mismatch(
    chain: DrandChain, round_number: int, previous_signature: bytes
) -> str | None:
    """Why a chained round's ``previous_signature`` cannot be the chain's, or None.

    Round 1 follows the chain's genesis seed; every later round follows the previous
    round's signature, which has the scheme's signature size. (Its content is bound by
    the round's own signature, which signs it.)
    """
    if chain.scheme != SCHEME_CHAINED:
        return None
    if round_number == 1:
        if previous_signature.hex() != chain.genesis_seed:
            return f"round 1 follows the genesis seed {chain.genesis_seed}"
        return None
    size = signature_size(chain.scheme)
    if len(previous_signature) != size:
        return f"a {chain.scheme} signature is {size} bytes, got {len(previous_signature)}"
    return None


def verify_round(chain: DrandChain, round_number: int, reading: Any) -> bytes:
    """Check a round as drand serves it (``/<chain hash>/public/<round>``); return its
    randomness.

    The reading must be round ``round_number``, its ``randomness`` (when present) the
    SHA-256 of its signature, its ``previous_signature`` the chain's (chained scheme), and
    its signature the chain's signature of the round. Raises InputError for a malformed
    reading and DrawVerificationError when a check fails.
    """
    if not isinstance(reading, Mapping) or reading.get("round") != round_number:
        raise InputError(f"not round {round_number}", where="beacon.round")
    signature = bytes.fromhex(_info_hex(reading.get("signature"), None, "beacon.signature"))
    randomness = randomness_from_signature(signature)
    if "randomness" in reading and reading["randomness"] != randomness.hex():
        raise DrawVerificationError(
            [FieldMismatch("beacon.randomness", randomness.hex(), str(reading["randomness"]))]
        )
    previous = b""
    if chain.scheme == SCHEME_CHAINED:
        previous = bytes.fromhex(
            _info_hex(reading.get("previous_signature"), None, "beacon.previous_signature")
        )
        reason = previous_signature_mismatch(chain, round_number, previous)
        if reason is not None:
            raise DrawVerificationError(
                [FieldMismatch("beacon.previous_signature", reason, previous.hex())]
            )
    verify_beacon_signature(
        scheme=chain.scheme,
        round_number=round_number,
        signature=signature,
        public_key=bytes.fromhex(chain.public_key),
        previous_signature=previous,
    )
    return randomness
