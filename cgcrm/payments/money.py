"""Amounts in minor units shown in their currency's major unit (ISO 4217 exponents)."""

from __future__ import annotations

from decimal import Decimal

# ISO 4217 minor-unit exponents that are not 2.
EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip


def major_amount(amount_minor: int, currency: str) -> Decimal:
    """``1250, "GBP"`` → ``Decimal("12.50")``; ``500, "JPY"`` → ``Decimal("500")``."""
    return Decimal(amount_minor).scaleb(-EXPONENTS.get(currency.upper(), 2))


def decimal_amount(amount_minor: int, currency: str) -> str:
    """``-1250, "GBP"`` → ``"-12.50"``; ``500, "JPY"`` → ``"500"``."""
    exponent = EXPONENTS.get(currency.upper(), 2)
    return f"{major_amount(amount_minor, currency):.{exponent}f}"
