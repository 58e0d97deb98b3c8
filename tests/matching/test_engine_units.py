"""Normalisation, comparisons, scoring and EM, without HTTP."""

from __future__ import annotations

import random
import re
from datetime import date

from cgcrm.matching import compare
from cgcrm.matching.engine import RecordIndex, score_records
from cgcrm.matching.model import ScoringModel, default_parameters
from cgcrm.matching.normalise import (
    Features,
    address_form,
    from_body,
    name_form,
    nickname_variants,
)
from cgcrm.matching.training import estimate_u, expectation_maximisation

MODEL = ScoringModel.build(default_parameters())


def test_names_lose_case_accents_and_punctuation_but_keep_their_parts() -> None:
    form = name_form("Zoë-Anne", "O'Brien Smith")
    assert form is not None
    assert (form.given, form.family) == ("zoeanne", "obriensmith")
    assert form.given_words == ("zoe", "anne")
    assert form.family_words == ("obrien", "smith")
    assert name_form("--", None) is None


def test_nicknames_come_from_the_shipped_list() -> None:
    assert "robert" in nickname_variants("bob")
    assert "william" in nickname_variants("bill")
    a, b = name_form("Bob", "Brown"), name_form("Robert", "Brown")
    assert a and b
    assert compare.compare_given(a, b) == "nickname"


def test_address_abbreviations_are_written_out() -> None:
    short = address_form({"line1": "Unit 3, 12 George St.", "postcode": "2150"})
    long = address_form({"line1": "3/12 George Street", "postcode": "2150 "})
    assert short and long
    assert short.line == long.line == "12 george street"
    assert short.postcode == "2150"


def test_phones_and_emails_take_canonical_forms() -> None:
    features = from_body(
        {
            "contact_points": [
                {"kind": "phone", "value": "(04) 1234 5678"},
                {"kind": "email", "value": "John.Smith@Example.COM"},
            ]
        },
        region="AU",
    )
    assert features.phones == {"+61412345678"}
    assert features.emails == {"john.smith@example.com"}


def test_date_of_birth_levels() -> None:
    born = date(1984, 3, 2)
    assert compare.compare_dob(born, date(1984, 3, 2)) == "exact"
    assert compare.compare_dob(born, date(1984, 2, 3)) == "transposed"
    assert compare.compare_dob(born, date(1984, 3, 8)) == "one_digit"
    assert compare.compare_dob(born, date(1948, 3, 2)) == "one_digit"  # two digits swapped
    assert compare.compare_dob(born, date(1984, 11, 20)) == "year"
    assert compare.compare_dob(born, date(1990, 1, 1)) == "different"
    # Less than a year apart agrees in part across a new year too; a year or more does not.
    assert compare.compare_dob(date(2003, 12, 30), date(2004, 1, 25)) == "year"
    assert compare.compare_dob(date(2003, 1, 30), date(2004, 2, 27)) == "different"
    assert compare.compare_dob(born, None) is None


def test_family_name_levels_handle_hyphens_and_typos() -> None:
    smith = name_form("John", "Smith")
    assert smith
    for other, level in [
        ("Smith", "exact"),
        ("Smith-Jones", "part"),
        ("Smiht", "jw_high"),
        ("Smyth", "jw_high"),  # one letter: a typo as likely as a variant
        ("Smithe", "jw_high"),
        ("Smythe", "jw_mid"),
        ("Nguyen", "different"),
    ]:
        form = name_form("John", other)
        assert form
        assert compare.compare_family(smith, form) == level, other


def test_scores_are_probabilities_and_swapped_names_still_match() -> None:
    a = {"given_name": "Wei", "family_name": "Zhang", "date_of_birth": "1979-11-05"}
    b = {"given_name": "Zhang", "family_name": "Wei", "date_of_birth": "1979-11-05"}
    result = score_records(a, b, MODEL)
    assert 0 <= result.score <= 1
    assert result.band == "match"
    assert result.explanation["name_order"] == {"level": "swapped", "weight": 0.0}


def test_twins_sharing_everything_but_the_given_name_are_not_a_match() -> None:
    home = [{"line1": "4 Elm Road", "locality": "Ryde", "postcode": "2112"}]
    a = {
        "given_name": "Anna",
        "family_name": "Kowalski",
        "date_of_birth": "2001-05-05",
        "addresses": home,
    }
    b = {**a, "given_name": "Piotr"}
    assert score_records(a, b, MODEL).band == "non_match"


def test_a_given_name_a_typo_away_is_not_a_twin() -> None:
    """The household rule needs given names that really differ: one letter mistyped in a short
    name (Ivy, Igy) is weak evidence, not two people."""
    home = [{"line1": "129 Frederick Street", "locality": "Bendigo", "postcode": "3850"}]
    ivy = {
        "given_name": "Ivy",
        "family_name": "Alexander",
        "date_of_birth": "1971-02-01",
        "addresses": home,
    }
    for typo in ("Igy", "Ivvy", "Iyv"):
        scored = score_records(ivy, {**ivy, "given_name": typo}, MODEL)
        assert scored.explanation["given_name"]["level"] != "different", typo
        assert scored.band == "match", typo
    assert score_records(ivy, {**ivy, "given_name": "Ada"}, MODEL).band == "non_match"


def test_given_name_levels_read_typos_by_edit_distance() -> None:
    mikayla = name_form("Mikayla", "Ferrari")
    assert mikayla
    for other, level in [
        ("Mykayla", "jw_high"),  # one letter, early in the name
        ("Mark", "different"),
        ("Mikhaila", "jw_mid"),
    ]:
        form = name_form(other, "Ferrari")
        assert form
        assert compare.compare_given(mikayla, form) == level, other


def test_a_parent_and_child_of_one_name_at_one_address_are_not_a_match() -> None:
    """A Jr. and a Sr.: name, address and a shared landline agree, the birth dates are a
    generation apart; the household's shared evidence does not outweigh that."""
    sr = {
        "given_name": "Alton",
        "family_name": "Janvrin",
        "date_of_birth": "1979-04-05",
        "addresses": [{"line1": "150 Cook Terrace", "locality": "Melbourne", "postcode": "3000"}],
        "contact_points": [{"kind": "phone", "value": "(03) 8030 4302"}],
    }
    jr = {**sr, "date_of_birth": "2001-08-01"}
    assert score_records(sr, jr, MODEL).band == "non_match"
    # One date mistyped (a digit, the day and month swapped) is still the same person.
    for mistyped in ("1979-04-06", "1979-05-04", "1997-04-05"):
        assert score_records(sr, {**sr, "date_of_birth": mistyped}, MODEL).band == "match"
    assert compare.dobs_far_apart(date(1979, 4, 5), date(2001, 8, 1))
    assert not compare.dobs_far_apart(date(1979, 4, 5), date(1979, 4, 25))
    # Many digits apart but months, not a generation, apart: one person's date written wrongly.
    assert not compare.dobs_far_apart(date(2003, 12, 30), date(2004, 1, 25))
    assert not compare.dobs_far_apart(date(1979, 4, 5), date(1986, 9, 17))


def test_common_names_weigh_less_than_rare_ones() -> None:
    parameters = default_parameters()
    parameters["term_frequencies"] = {"family_name": {"smith": 0.01, "": 0.00001}}
    model = ScoringModel.build(parameters)
    assert model.weight("family_name", "exact", "smith") < model.weight(
        "family_name", "exact", "zabludowicz"
    )


def test_record_index_blocks_and_ranks_bodies() -> None:
    index = RecordIndex(MODEL)
    index.add(
        "a", {"given_name": "Margaret", "family_name": "Olsen", "date_of_birth": "1962-08-14"}
    )
    index.add("b", {"given_name": "Peter", "family_name": "Olsen", "date_of_birth": "1990-01-01"})
    found = index.candidates(
        {"given_name": "Peggy", "family_name": "Olson", "date_of_birth": "1962-08-14"}
    )
    assert found[0][0] == "a"
    assert found[0][2] in ("match", "possible")
    assert all(key != "b" or band != "match" for key, _, band, _ in found)


def _synthetic_vectors(rng: random.Random, m: dict, u: dict, n: int, share: float) -> list:
    vectors = []
    for _ in range(n):
        table = m if rng.random() < share else u
        vector = {}
        for name, levels in table.items():
            vector[name] = rng.choices(list(levels), weights=list(levels.values()))[0]
        vectors.append(vector)
    return vectors


def test_em_recovers_m_and_the_match_share_from_unlabelled_pairs() -> None:
    rng = random.Random(5)
    true_m = {
        "given_name": {"exact": 0.8, "jw_high": 0.15, "different": 0.05},
        "family_name": {"exact": 0.85, "jw_high": 0.1, "different": 0.05},
        "date_of_birth": {"exact": 0.9, "year": 0.05, "different": 0.05},
    }
    true_u = {
        "given_name": {"exact": 0.02, "jw_high": 0.03, "different": 0.95},
        "family_name": {"exact": 0.01, "jw_high": 0.02, "different": 0.97},
        "date_of_birth": {"exact": 0.001, "year": 0.02, "different": 0.979},
    }
    random_pairs = _synthetic_vectors(rng, true_m, true_u, 20000, 0.0)
    u = estimate_u(random_pairs)
    assert abs(u["given_name"]["exact"] - 0.02) < 0.005
    blocked = _synthetic_vectors(rng, true_m, true_u, 20000, 0.3)
    start = {name: {lvl: 1 / len(levels) for lvl in levels} for name, levels in u.items()}
    result = expectation_maximisation(blocked, u, start)
    assert result.converged
    assert abs(result.match_share - 0.3) < 0.03
    assert abs(result.m["given_name"]["exact"] - 0.8) < 0.05
    assert abs(result.m["date_of_birth"]["exact"] - 0.9) < 0.05


def test_an_email_with_a_plus_tag_is_the_same_mailbox() -> None:
    plain, tagged = frozenset({"leah.ellis@example.org"}), frozenset({"leah.ellis+crm@example.org"})
    assert compare.compare_emails(plain, tagged) == "exact"
    assert compare.compare_emails(plain, frozenset({"leah.ellis@example.com"})) == "similar"


def test_the_prior_is_spread_over_the_population_of_the_moment() -> None:
    """The same evidence says more among fewer people; a near-empty register counts as
    ``MIN_PRIOR_POPULATION`` people, and without a population the stored prior is used."""
    from cgcrm.matching.model import MIN_PRIOR_POPULATION

    parameters = default_parameters()
    small = ScoringModel.build(parameters, population=20_000)
    large = ScoringModel.build(parameters, population=5_000_000)
    tiny = ScoringModel.build(parameters, population=3)
    assert small.prior == parameters["matches_per_record"] / 20_000
    assert large.prior < small.prior < tiny.prior
    assert tiny.prior == parameters["matches_per_record"] / MIN_PRIOR_POPULATION
    assert ScoringModel.build(parameters).prior == parameters["prior"]
    a = {"given_name": "Lexie", "family_name": "Ma", "date_of_birth": "2014-07-07"}
    b = {**a, "date_of_birth": "2014-04-07"}
    assert score_records(a, b, small).score > score_records(a, b, large).score


def test_a_twin_recorded_surname_first_is_still_a_twin() -> None:
    home = [{"line1": "2 Wattle Crescent", "locality": "Ainslie", "postcode": "2612"}]
    bryce = {
        "given_name": "Bryce",
        "family_name": "Simmons",
        "date_of_birth": "1981-06-06",
        "addresses": home,
    }
    felicia = {**bryce, "given_name": "Simmons", "family_name": "Felicia"}
    assert score_records(bryce, felicia, MODEL).band == "non_match"
    himself = {**bryce, "given_name": "Simmons", "family_name": "Bryce"}
    assert score_records(bryce, himself, MODEL).band == "match"
    # Either record may be the one written surname first.
    assert score_records(felicia, bryce, MODEL).band == "non_match"


def test_the_real_time_statement_is_sent_with_numbered_placeholders_psycopg_does_not_parse() -> (
    None
):
    # psycopg keeps the parse of a statement's own placeholders only up to 4 kB and parsed a
    # longer one afresh on every execution: this one goes through the raw cursor as written.
    from cgcrm.matching import realtime

    sent = realtime._RAW_SQL
    assert "--" not in sent
    # Every placeholder is PostgreSQL's own (the text is written with SQLAlchemy's ``:name``),
    # one number per name, each name given its value.
    assert ":" not in sent and "%(" not in sent
    numbers = {int(n) for n in re.findall(r"\$(\d+)", sent)}
    assert numbers == set(range(1, len(realtime._NAMES) + 1))
    parameters = set(realtime.parameters(Features()))
    # The import's batch statement reads the same parameters (``batch_candidates``).
    assert set(realtime._NAMES) == parameters


def test_address_forms_of_columns_and_of_a_mapping_agree() -> None:
    from cgcrm.matching.normalise import address_form_of

    item = {
        "line1": "Unit 3, 12 George St.",
        "line2": None,
        "locality": "Sydney",
        "postcode": "2000",
    }
    form = address_form(item)
    assert form is not None and form == address_form_of(
        "Unit 3, 12 George St.", None, "Sydney", "2000"
    )
    assert (form.number, form.street, form.postcode) == ("12", "george street", "2000")


def test_identifier_levels_tell_a_keying_error_from_another_value() -> None:
    def person(*values: tuple[str, str]) -> Features:
        return from_body(
            {"identifiers": [{"system": s, "value": v} for s, v in values]}, region="AU"
        )

    stored = person(("SOC_SEC_ID", "4817613"))
    assert compare.compare_identifiers(stored, person(("SOC_SEC_ID", "4817613"))) == "exact"
    assert compare.compare_identifiers(stored, person(("SOC_SEC_ID", "4816713"))) == "similar"
    assert compare.compare_identifiers(stored, person(("SOC_SEC_ID", "481613"))) == "similar"
    assert compare.compare_identifiers(stored, person(("SOC_SEC_ID", "4826713"))) == "different"
    assert compare.compare_identifiers(stored, person(("OTHER", "4817613"))) is None
    # Short codes one error apart are too often two people's.
    assert compare.compare_identifiers(person(("X", "A123")), person(("X", "A124"))) == "different"
