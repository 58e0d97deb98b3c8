"""Who is acting: a staff user or an API client, with its department and scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    kind: str  # "client" or "user"
    id: str  # client_id or the staff user's UUID
    department_id: uuid.UUID | None
    department_code: str | None
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None

    @property
    def ref(self) -> str:
        """``kind:id`` ("user:<uuid>", "client:<client_id>"): how records name who acted."""
        return f"{self.kind}:{self.id}"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class Actor:
    """The principal plus the request it acts in; passed explicitly to every service call."""

    principal: Principal
    request_id: str


SYSTEM = Principal(
    kind="system",
    id="system",
    department_id=None,
    department_code=None,
    scopes=frozenset({"admin"}),
)
