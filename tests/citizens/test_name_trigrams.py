"""The in-process trigram neighbours are the ones pg_trgm ranks first: the same distances (keys
at equal distance may differ: the index takes them in whatever order its pages hold them)."""

from __future__ import annotations

import random
import string
import time

import sqlalchemy as sa
from flask import Flask

from cgcrm.citizens.name_dictionary import BOTH, _NameDictionary
from cgcrm.citizens.name_trigrams import TrigramIndex
from cgcrm.extensions import db


def _words(tokens: list[str], rng: random.Random) -> list[str]:
    words = [*tokens[::40], "a", "s", "zz", "xylophone", "smi", "aaaa"]
    for token in tokens[::25]:  # each with one letter changed, and cut as if being typed
        chars = list(token)
        chars[rng.randrange(len(chars))] = rng.choice(string.ascii_lowercase)
        words += ["".join(chars), token[:3]]
    return words


def _distances(rows: list[tuple[str, float]]) -> list[float]:
    return sorted(round(distance, 5) for _, distance in rows)


def test_nearest_keys_are_at_the_distances_pg_trgm_ranks_first(app: Flask) -> None:
    rng = random.Random(11)
    letters = "aeiou" + "bcdhlmnrst"
    tokens = sorted(
        {"".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) for _ in range(4000)}
    )
    index = TrigramIndex()
    index.add(tokens[::2])
    index.add(tokens[1::2])  # later keys are put in place in each trigram's list
    ranked = sa.text(
        "SELECT token, (token <-> :word)::float8 FROM unnest(CAST(:tokens AS text[])) AS token "
        "ORDER BY token <-> :word LIMIT :limit"
    )
    distance = sa.text(
        "SELECT token, (token <-> :word)::float8 FROM unnest(CAST(:tokens AS text[])) AS token"
    )
    with app.app_context():
        for word in _words(tokens, rng):
            shared = index.shared(word)
            for limit in (12, 24):
                expected = db.session.execute(
                    ranked, {"word": word, "tokens": tokens, "limit": limit}
                ).all()
                # Keys sharing no trigram are not neighbours (pg_trgm ranks them last, at 1).
                expected = [row for row in expected if row[1] < 1]
                found = index.nearest(word, limit, shared)
                got = db.session.execute(distance, {"word": word, "tokens": found}).all()
                assert _distances(got) == _distances(expected), (word, limit)
            among = tokens[::3]
            expected = db.session.execute(
                ranked, {"word": word, "tokens": among, "limit": 24}
            ).all()
            got = db.session.execute(
                distance, {"word": word, "tokens": index.nearest_among(among, 24, shared)}
            ).all()
            assert _distances(got) == _distances(expected), word
        db.session.remove()


def test_a_key_learnt_later_is_among_a_cached_words_neighbours() -> None:
    dictionary = _NameDictionary()
    dictionary._loaded_at = time.monotonic()  # as if loaded (empty), so that it learns
    dictionary.learn([("hall", "HL", BOTH), ("hill", "HL", BOTH), ("smith", "SM0", BOTH)])
    assert dictionary.similar("halll", 1, 0) == {"hall"}
    dictionary.learn([("halll", "HL", BOTH)])
    assert dictionary.similar("halll", 1, 0) == {"halll"}
    # The same sound, ranked by trigrams: "hill" shares fewer with "hall" than "halll" does.
    assert dictionary.similar("hall", 0, 2) == {"hall", "halll"}
