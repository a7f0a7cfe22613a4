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

Checking ``randomness == SHA-256(signature)`` is cheap and always done by the draw
verifier. Checking the signature itself needs pairings: ``py_ecc`` (the ``bls`` extra),
imported only here and only when a signature is checked, because it is slow to import
and each verification takes about half a second in pure Python.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

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


@dataclass(frozen=True)
class DrandChain:
    """Public parameters of a drand chain, as served at ``/<chain hash>/info``."""

    name: str
    chain_hash: str
    scheme: str
    public_key: str
    genesis_time: int
    period: int

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
)

DEFAULT_CHAIN = DrandChain(
    name="default",
    chain_hash="8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
    scheme=SCHEME_CHAINED,
    public_key="868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
    genesis_time=1595431050,
    period=30,
)

KNOWN_CHAINS: dict[str, DrandChain] = {c.chain_hash: c for c in (QUICKNET, DEFAULT_CHAIN)}
"""The League of Entropy mainnet chains, by chain hash."""


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
    and InputError when the public key has the wrong size or py_ecc is not installed.
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


def _require_py_ecc() -> None:
    try:
        import py_ecc  # noqa: F401
    except ImportError as exc:
        raise InputError(
            "checking a drand signature needs py_ecc: pip install 'alot-verify[bls]'"
        ) from exc


def _verify_g1_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Minimal-signature-size BLS (signature on G1, key on G2) with the RFC 9380 suite."""
    _require_py_ecc()
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
    _require_py_ecc()
    from eth_typing import BLSPubkey, BLSSignature
    from py_ecc.bls.ciphersuites import G2Basic

    return bool(G2Basic.Verify(BLSPubkey(public_key), message, BLSSignature(signature)))
