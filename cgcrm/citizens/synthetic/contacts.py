"""Email addresses and phone numbers of synthetic citizens."""

from __future__ import annotations

import random
from typing import Any

from cgcrm.citizens.synthetic import data_places
from cgcrm.citizens.synthetic.base import Weighted, slug
from cgcrm.citizens.synthetic.people import SLUGS

EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org", "mail.example")

_EMAIL_DOMAINS: Weighted[str] = Weighted(
    [("example.com", 45), ("example.net", 25), ("example.org", 15), ("mail.example", 15)]
)
_MOBILE_PREFIXES: tuple[str, ...] = tuple(data_places.MOBILE_PREFIXES.split())
_LANDLINE_PREFIXES: dict[str, tuple[str, ...]] = {
    state: tuple(prefixes.split()) for state, prefixes in data_places.LANDLINE_PREFIXES.items()
}


def contact_points(
    rng: random.Random,
    used_emails: set[str],
    index: int,
    age: int,
    state: str,
    given: str,
    preferred: str | None,
    family: str,
    birth_year: int,
) -> list[dict[str, Any]]:
    """An email (unique across ``used_emails``) and phone numbers, each drawn by chance."""
    rand = rng.random
    points: list[dict[str, Any]] = []
    email_p = 0.25 if age < 14 else (0.45 if age >= 80 else 0.765)
    if rand() < email_p:
        email_name = preferred if preferred is not None and rand() < 0.5 else given
        name_slug = SLUGS.get(email_name) or SLUGS.setdefault(email_name, slug(email_name))
        family_slug = SLUGS.get(family) or SLUGS.setdefault(family, slug(family))
        domain = _EMAIL_DOMAINS.pick(rand())
        local = email_local(rng, name_slug, family_slug, birth_year)
        email = f"{local}@{domain}"
        if email in used_emails:
            # Natural local parts never end in ".<digits>", so this cannot collide.
            email = f"{local}.{index}@{domain}"
        else:
            used_emails.add(email)
        points.append({"kind": "email", "value": email, "is_primary": True})

    phone_p = 0.5 if age < 14 else 0.88
    if rand() < phone_p:
        landline_first = rand() < (0.45 if age >= 70 else 0.12)
        second = rand() < 0.15
        if landline_first:
            points.append({"kind": "phone", "value": landline(rng, state), "is_primary": True})
            if second:
                points.append({"kind": "phone", "value": mobile(rng)})
        else:
            points.append({"kind": "phone", "value": mobile(rng), "is_primary": True})
            if second:
                points.append({"kind": "phone", "value": landline(rng, state)})
    return points


def email_local(rng: random.Random, given: str, family: str, birth_year: int) -> str:
    """A natural email local part. Never ends in ``.<digits>`` (see the collision suffix)."""
    u = rng.random()
    if u < 0.30:
        return f"{given}.{family}"
    if u < 0.38:
        return f"{given}{family}"
    if u < 0.46:
        return f"{given[0]}{family}"
    if u < 0.52:
        return f"{given[0]}.{family}"
    if u < 0.66:
        return f"{given}.{family}{birth_year % 100:02d}"
    if u < 0.70:
        return f"{given}{birth_year % 100:02d}"
    if u < 0.75:
        return f"{given}_{family}"
    if u < 0.80:
        return f"{family}.{given}"
    if u < 0.84:
        return f"{given}.{family[0]}"
    if u < 0.97:
        return f"{given}{family}{1 + int(rng.random() * 999)}"
    return f"{family}{given[0]}"


def mobile(rng: random.Random) -> str:
    rand = rng.random
    prefix = _MOBILE_PREFIXES[int(rand() * len(_MOBILE_PREFIXES))]
    digits = f"{int(rand() * 1_000_000):06d}"
    u = rand()
    if u < 0.60:
        return f"0{prefix} {digits[:3]} {digits[3:]}"
    if u < 0.75:
        return f"0{prefix}{digits}"
    if u < 0.95:
        return f"+61 {prefix} {digits[:3]} {digits[3:]}"
    return f"+61{prefix}{digits}"


def landline(rng: random.Random, state: str) -> str:
    rand = rng.random
    prefixes = _LANDLINE_PREFIXES[state]
    prefix = prefixes[int(rand() * len(prefixes))]
    area = prefix[0]
    rest = 8 - (len(prefix) - 1)
    local = prefix[1:] + f"{int(rand() * 10**rest):0{rest}d}"
    u = rand()
    if u < 0.45:
        return f"(0{area}) {local[:4]} {local[4:]}"
    if u < 0.85:
        return f"0{area} {local[:4]} {local[4:]}"
    if u < 0.95:
        return f"+61 {area} {local[:4]} {local[4:]}"
    return f"0{area}{local}"
