"""External identifiers (rates account, library card, driver licence) of synthetic citizens.

Numbers are derived from the citizen's position in the stream, so they are unique per system.
"""

from __future__ import annotations

import random

IDENTIFIER_SYSTEMS: tuple[str, ...] = ("RATES_ACCOUNT", "LIBRARY_CARD", "DRIVER_LICENCE")

# Identifier numbering: affine permutations of the citizen index (unique within each system).
_RATES_MOD = 10_000_000
_RATES_MUL = 7_654_321  # coprime with 10**7
_LIBRARY_MOD = 1_000_000_000
_LIBRARY_MUL = 387_420_489  # 3**18, coprime with 10**9
_LICENCE_MOD = 990_000_000
_LICENCE_MUL = 48_271  # prime, coprime with 990_000_000 = 2**7 * 3**2 * 5**7 * 11


def _permute(index: int, modulus: int, multiplier: int, offset: int) -> int:
    """A bijection of the non-negative integers that scrambles each block of ``modulus``."""
    block, rest = divmod(index, modulus)
    return block * modulus + (rest * multiplier + offset) % modulus


def identifier_offsets(seed: int) -> tuple[int, int, int]:
    """Per-seed offsets of the rates, library and licence permutations."""
    offsets = random.Random(f"cgcrm-identifiers-{seed}")
    rates_offset = offsets.randrange(_RATES_MOD)
    library_offset = offsets.randrange(_LIBRARY_MOD)
    licence_offset = offsets.randrange(_LICENCE_MOD)
    return rates_offset, library_offset, licence_offset


def identifiers(
    rng: random.Random, index: int, age: int, adult: bool, offsets: tuple[int, int, int]
) -> list[dict[str, str]]:
    """The identifiers held by the citizen at ``index``, each drawn by chance."""
    rand = rng.random
    rates_offset, library_offset, licence_offset = offsets
    result: list[dict[str, str]] = []
    if adult and rand() < 0.455:
        number = _permute(index, _RATES_MOD, _RATES_MUL, rates_offset)
        result.append({"system": "RATES_ACCOUNT", "value": f"RA-{number:07d}"})
    if rand() < (0.5 if age < 18 else 0.27):
        number = _permute(index, _LIBRARY_MOD, _LIBRARY_MUL, library_offset)
        result.append({"system": "LIBRARY_CARD", "value": f"LIB{number:09d}"})
    if age >= 17 and rand() < 0.285:
        number = 10_000_000 + _permute(index, _LICENCE_MOD, _LICENCE_MUL, licence_offset)
        result.append({"system": "DRIVER_LICENCE", "value": str(number)})
    return result
