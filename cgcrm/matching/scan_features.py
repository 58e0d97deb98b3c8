"""The features of every record a scan's candidate pairs name, loaded once and kept compact.

A pair's two records are anywhere in the population, so loading the features of each chunk of
pairs would load most records several times (an index probe per table and a normalisation
each time). Instead the records of the pairs are read once, set-based (each table scanned and
grouped once, streamed), normalised once (``store.features_of_row``), and kept pickled: about
300 bytes a record instead of the few KB of the objects, unpickled when a pair needs them.
"""

from __future__ import annotations

import pickle
import uuid
from collections.abc import Iterator

from sqlalchemy import Uuid, text

from cgcrm.extensions import db
from cgcrm.matching.normalise import Features
from cgcrm.matching.store import features_of_row, load_features

STREAM_BATCH = 5000

# The columns of store._ONE_STATEMENT, each list gathered by one grouped scan of its table.
_POPULATION = """
WITH wanted AS (SELECT citizen_id AS id FROM {table} UNION SELECT other_citizen_id FROM {table})
SELECT c.id, c.date_of_birth, c.middle_names, n.names, p.points, a.places, i.idents
  FROM wanted w JOIN citizens c ON c.id = w.id AND c.status <> 'merged'
  LEFT JOIN (SELECT citizen_id, json_agg(json_build_array(kind, given_name, family_name)
                                         ORDER BY position) AS names
               FROM citizen_names GROUP BY citizen_id) n ON n.citizen_id = c.id
  LEFT JOIN (SELECT citizen_id, json_agg(json_build_array(kind, value)) AS points
               FROM contact_points GROUP BY citizen_id) p ON p.citizen_id = c.id
  LEFT JOIN (SELECT citizen_id, json_agg(json_build_array(line1, line2, locality, postcode)
                                         ORDER BY position) AS places
               FROM addresses GROUP BY citizen_id) a ON a.citizen_id = c.id
  LEFT JOIN (SELECT citizen_id,
                    json_agg(json_build_array(system, value_index, value_encrypted)) AS idents
               FROM external_identifiers GROUP BY citizen_id) i ON i.citizen_id = c.id
"""


class PairedFeatures:
    """Features of the records of a scan's pairs, by id; merged records are absent."""

    def __init__(self) -> None:
        self._packed: dict[uuid.UUID, bytes] = {}

    def __len__(self) -> int:
        return len(self._packed)

    def get(self, citizen_id: uuid.UUID) -> Features | None:
        packed = self._packed.get(citizen_id)
        # Bytes this object pickled itself, never input.
        return None if packed is None else pickle.loads(packed)

    def load(self, table: str) -> None:
        """Read the features of every record ``table``'s pairs name (a read; commits nothing)."""
        for citizen_id, features in _stream(table):
            self._packed[citizen_id] = pickle.dumps(features, protocol=pickle.HIGHEST_PROTOCOL)


def _stream(table: str) -> Iterator[tuple[uuid.UUID, Features]]:
    if db.session.get_bind().dialect.name == "postgresql":
        # Each table is grouped in memory; the default 4 MB would spill to disk.
        db.session.execute(text("SET LOCAL work_mem = '256MB'"))
        rows = db.session.execute(
            text(_POPULATION.format(table=table)),
            execution_options={"stream_results": True, "yield_per": STREAM_BATCH},
        )
        for citizen_id, *values in rows:
            yield citizen_id, features_of_row(*values)
        return
    ids = list(
        db.session.scalars(
            text(
                f"SELECT citizen_id FROM {table} UNION SELECT other_citizen_id FROM {table}"
            ).columns(citizen_id=Uuid)
        )
    )
    for start in range(0, len(ids), STREAM_BATCH):
        yield from load_features(ids[start : start + STREAM_BATCH]).items()
