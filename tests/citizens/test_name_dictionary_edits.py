"""The dictionary's one-edit neighbours, found by writing out a word's edits, are exactly what
an optimal-string-alignment scan of its buckets finds."""

from __future__ import annotations

import random
import string
import time

from rapidfuzz.distance import OSA

from cgcrm.citizens.name_dictionary import BOTH, _NameDictionary


def _dictionary(tokens: list[str]) -> _NameDictionary:
    dictionary = _NameDictionary()
    dictionary._loaded_at = time.monotonic()  # as if loaded (empty), so that it learns
    dictionary.learn((token, "", BOTH) for token in tokens)
    return dictionary


def _scanned(word: str, tokens: list[str]) -> set[str]:
    return {t for t in tokens if t[:1] == word[:1] and OSA.distance(word, t) <= 1}


def _front_swapped(word: str, tokens: list[str]) -> set[str]:
    swapped = word[1:2] + word[:1] + word[2:]
    return {swapped} if len(word) > 1 and swapped != word and swapped in tokens else set()


def test_one_edit_neighbours_are_those_an_osa_scan_finds() -> None:
    rng = random.Random(7)
    letters = "aeilnorst" + "bz"
    tokens = sorted(
        {"".join(rng.choice(letters) for _ in range(rng.randint(1, 7))) for _ in range(3000)}
    )
    dictionary = _dictionary(tokens)
    words = [*tokens[::7], "", "a", "zz", "xylophone", "naa", "aan"]
    for token in tokens[::5]:  # each with one edit made
        chars = list(token)
        chars[rng.randrange(len(chars))] = rng.choice(string.ascii_lowercase)
        words.append("".join(chars))
    for word in words:
        expected = _scanned(word, tokens) | _front_swapped(word, tokens)
        assert dictionary.neighbours(word, edits=1) == expected, word


def test_a_key_learnt_later_is_a_neighbour_with_letters_not_seen_before() -> None:
    dictionary = _dictionary(["hall", "hull"])
    assert dictionary.neighbours("hxll", edits=1) == {"hall", "hull"}
    dictionary.learn([("hqll", "", BOTH)])
    assert dictionary.neighbours("hxll", edits=1) == {"hall", "hull", "hqll"}


def test_the_first_two_letters_swapped_are_a_neighbour_learnt_or_not() -> None:
    dictionary = _dictionary(["noah", "amelia"])
    assert dictionary.neighbours("onah", edits=1) == {"noah"}
    assert dictionary.neighbours("maelia") == {"amelia"}
    assert dictionary.neighbours("lmeia") == set()
    dictionary.learn([("lmeia", "", BOTH)])
    assert dictionary.neighbours("mleia") == {"lmeia"}
    assert dictionary.neighbours("noah", edits=1) == {"noah"}
    dictionary.learn([("onah", "", BOTH)])
    assert dictionary.neighbours("noah", edits=1) == {"noah", "onah"}  # the cached word forgot


def test_a_new_key_forgets_only_the_cached_words_it_can_reach() -> None:
    dictionary = _dictionary(["hall", "hull", "smith"])
    assert dictionary.neighbours("hxll", edits=1) == {"hall", "hull"}
    assert dictionary.neighbours("smiht", edits=1) == {"smith"}
    dictionary.learn([("smyth", "", BOTH)])
    assert ("hxll", 1) in dictionary._neighbours  # another first letter: kept
    assert ("smiht", 1) not in dictionary._neighbours
    assert dictionary.neighbours("smiht", edits=1) == {"smith"}


def test_the_wildcard_index_finds_the_same_neighbours_and_keeps_up() -> None:
    rng = random.Random(8)
    letters = "aeilnorst" + "bz"
    tokens = sorted(
        {"".join(rng.choice(letters) for _ in range(rng.randint(1, 7))) for _ in range(3000)}
    )
    plain, indexed = _dictionary(tokens), _dictionary(tokens)
    indexed.index_edits()
    assert indexed._wildcards is not None and plain._wildcards is None
    words = [*tokens[::7], "", "a", "zz", "xylophone", "naa", "aan", "aa", "ab", "ba"]
    for token in tokens[::5]:  # each with one edit made: changed, added, left out, swapped
        i = rng.randrange(len(token))
        words += [
            token[:i] + rng.choice(string.ascii_lowercase) + token[i + 1 :],
            token[:i] + rng.choice(string.ascii_lowercase) + token[i:],
            token[:i] + token[i + 1 :],
            token[:i] + token[i + 1 : i + 2] + token[i] + token[i + 2 :],
        ]
    for word in words:
        assert indexed._one_edit(word) == plain._one_edit(word) == _scanned(word, tokens), word
    # Keys learnt later are in the index too.
    indexed.learn([("hqll", "", BOTH), ("hall", "", BOTH)])
    assert indexed.neighbours("hxll", edits=1) == {"hall", "hqll"}
    assert indexed.neighbours("hal", edits=1) >= {"hall"}


def test_the_keys_lacking_a_role_follow_what_the_copy_learns() -> None:
    from cgcrm.citizens.name_dictionary import FAMILY, GIVEN

    def expected(dictionary: _NameDictionary, role: int) -> set[str]:
        return {key for key, held in dictionary.role_table().items() if not held & role}

    dictionary = _NameDictionary()
    dictionary._loaded_at = time.monotonic()
    dictionary.learn([("ann", "", GIVEN), ("smith", "", FAMILY), ("lee", "", BOTH)])
    assert dictionary.lacking(GIVEN) == {"smith"} == expected(dictionary, GIVEN)
    assert dictionary.lacking(FAMILY) == {"ann"} == expected(dictionary, FAMILY)
    # A role gained leaves the set; a new key with one role joins the other's.
    dictionary.learn([("smith", "", GIVEN), ("jones", "", FAMILY)])
    for role in (GIVEN, FAMILY):
        assert dictionary.lacking(role) == expected(dictionary, role)
    assert dictionary.lacking(GIVEN) == {"jones"} and dictionary.lacking(FAMILY) == {"ann"}
