"""Every script in bench/ runs as documented, on tiny data, against a database of its own.

Each script runs as a subprocess (``python bench/<script>.py …``), as its documented command
does, with tiny counts and durations; its outputs go to a scratch directory
(``CGCRM_BENCH_OUT``), never to ``bench/out``. The documented commands themselves are read from
bench/README.md and docs/benchmarks.md: every script and option they name must exist.

Select them with ``-m bench_smoke``; leave them out with ``-m "not bench_smoke"``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BENCH = PROJECT_ROOT / "bench"
DOCUMENTS = (BENCH / "README.md", PROJECT_ROOT / "docs" / "benchmarks.md")
SERVER = "postgresql://postgres@127.0.0.1:5432/"

# One xdist worker runs them all (make test: --dist loadgroup), so the data is loaded once.
pytestmark = [pytest.mark.bench_smoke, pytest.mark.xdist_group("bench_smoke")]

# Modules the scripts import or serve; not run on their own.
LIBRARIES = {
    "_common",
    "_inprocess",
    "_load",
    "baseline_app",
    "interaction_rows",
    "loader_copy",
    "loader_ddl",
    "loader_queries",
    "loader_rows",
    "match_off_app",
    "matching_corruption",
    "matching_report",
    "matching_scores",
    "matching_scratch",
}
# Loading is the fixture below: every other script needs its data.
LOADERS = {
    "load_citizens": "--database-url {db} --count 200 --reset --queries 20",
    "load_interactions": "--database-url {db} --count 2000 --heavy 50",
}
# Each script's tiny run: "{db}" is the loaded scratch database, "{unique}" a fresh name (a
# database of that name is dropped afterwards), "{server}" the PostgreSQL server's URL.
SCRIPTS = {
    "search_latency": "--database-url {db} --limit-queries 5",
    "get_throughput": "--database-url {db} --duration 1 --warmup 1 --ids 100",
    "interaction_throughput": "--database-url {db} --duration 1 --warmup 1 --rounds 1",
    "overview_latency": "--database-url {db} --requests 5 --warmup 2",
    "relay_throughput": "--database-url {db} --events 500 --rounds 2",
    "profile_post": "--database-url {db} --requests 20 --top 5",
    "framework_floor": "--database-url {db} --duration 1 --warmup 1 --rounds 1",
    "post_instructions": "--database-url {db} --requests 5 --warmup 5",
    "verify_loader": "--count 50 --database-prefix {unique}",  # two databases of its own
    "token_timing": "--database-url {server}{unique} --rounds 3",  # a database of its own
    "token_throughput": "--database-url {server}{unique} --issue 2 --validate 20 --requests 5",
    "bruteforce_starvation": "--database-url {server}{unique} --seconds 1 --attackers 2",
    "ratelimit_cost": "--requests 10",
    "kpi_latency": "--database-url {db} --requests 5 --warmup 2",
    "rollup_throughput": "--database-url {db} --events 300 --relay-events 300 --rounds 1",
    "rollup_rebuild": "--database-url {db} --rounds 2",
    "matching_data": "--people 30 --after 200",  # the people after the 200 loaded
    # Scratch copies of the loaded database (CREATE DATABASE ... TEMPLATE), dropped after.
    "matching_eval": "--database-url {db} --people 15",
    "match_latency": "--database-url {db} --queries 10 --duration 1 --rounds 1 --people 400",
    "import_throughput": "--database-url {db} --rows 40 --population 200 --batch 20",
    "duplicate_scan": "--database-url {db} --chunk 50",
    "payment_throughput": "--database-url {db} --duration 1 --warmup 1 --rounds 1 "
    "--payments 40 --bodies 50",
    "profile_payment": "--database-url {db} --requests 10 --top 5",
    "profile_match": "--database-url {db} --people 20 --top 5",
    "profile_import_prepare": "--database-url {db} --rows 40 --batch 20 --top 5",
    "console_latency": "--database-url {db} --requests 5 --warmup 2 --citizens 5",
    "dashboard_latency": "--database-url {db} --requests 3 --warmup 1",
    "console_journeys": "--database-url {db} --requests 3 --warmup 1",
    # FEBRL's layout, a few rows written here ({febrl}): the real files are not ours to ship.
    "febrl_eval": "--database-url {db} --febrl {febrl} --sets dataset1,dataset4 --import --scan",
    # Splink's fake_1000 layout, a few rows written here ({splink}).
    "splink_eval": "--database-url {db} --csv {splink} --scan",
}
NEEDS = {"post_instructions": "valgrind"}
TIMEOUT = 600


def run_script(name: str, args: str, out: Path, **values: str) -> None:
    """``python bench/<name>.py <args>`` with ``values`` filled in; it must exit 0."""
    env = {**os.environ, "CGCRM_BENCH_OUT": str(out)}
    command = [sys.executable, str(BENCH / f"{name}.py"), *args.format(**values).split()]
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, (
        f"{' '.join(command)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def _drop(name: str) -> None:
    with psycopg.connect(SERVER + "postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    """Overrides the suite's clean-up: these tests use databases of their own, not the app's."""
    yield


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A tiny bench database loaded by the documented loaders, and an output directory."""
    name = f"cgcrm_bench_smoke_{uuid.uuid4().hex[:12]}"
    out = tmp_path_factory.mktemp("bench_out")
    try:
        for loader, args in LOADERS.items():
            run_script(loader, args, out, db=SERVER + name)
        yield SERVER + name, out
    finally:
        _drop(name)


_FEBRL_HEADER = (
    "rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, "
    "state, date_of_birth, soc_sec_id"
)
_FEBRL_ROWS = (
    "rec-1-org, lachlan, berry, 69, giblin street, killarney, bittern, 4814, qld, 19990219, "
    "7364009",
    "rec-2-org, , waller, 6, tullaroop street, , st james, 4011, wa, 19081209, 6988048",
    "rec-1-dup-0, lachlan, bery, 69, giblin street, killarney, bittern, 4814, qld, 19990219, "
    "7364090",
    "rec-3-org, deakin, sondergeld, 48, goldfinch circuit, , canterbury, 2776, vic, 19601332, "
    "2635962",
)


def febrl_sample(folder: Path) -> Path:
    """A few records in FEBRL's layout (written here, not taken from its files), as data sets
    1-3 and as the two files of data set 4."""
    folder.mkdir(exist_ok=True)
    for name in ("dataset1", "dataset2", "dataset3", "dataset4a", "dataset4b"):
        rows = [row for row in _FEBRL_ROWS if name != "dataset4a" or "-org" in row]
        if name == "dataset4b":
            rows = [row for row in _FEBRL_ROWS if "rec-2" in row or "dup" in row]
        (folder / f"{name}.csv").write_text("\n".join((_FEBRL_HEADER, *rows)) + "\n")
    return folder


_SPLINK_ROWS = (
    "unique_id,first_name,surname,dob,city,email,cluster",
    "0,Ruby ,Fletcher,1990-04-12,Derby,rfletcher@example.org,0",
    "1,Fletcher,Ruby ,1990-06-02,,rfletcher@example.org,0",
    "2,uRby,Fletcher,1990-04-12,Drby,rfletcherexample.org,0",
    "3,,,1971-09-30,Leeds,,1",
    "4,Omar ,Haddad,1971-09-30,Leeds,omar.h@example.net,2",
)


def splink_sample(folder: Path) -> Path:
    """A few records in the layout of Splink's fake_1000 (written here, not taken from it)."""
    path = folder / "fake_1000.csv"
    path.write_text("\n".join(_SPLINK_ROWS) + "\n")
    return path


def test_every_script_has_a_smoke_run() -> None:
    present = {path.stem for path in BENCH.glob("*.py")}
    assert present - LIBRARIES == set(SCRIPTS) | set(LOADERS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_runs_on_tiny_data(name: str, scratch: tuple[str, Path]) -> None:
    tool = NEEDS.get(name)
    if tool and shutil.which(tool) is None:
        pytest.skip(f"{name} counts with {tool}, which is not installed (apt-get install {tool})")
    database_url, out = scratch
    unique = f"cgcrm_bench_smoke_{uuid.uuid4().hex[:12]}"
    febrl = febrl_sample(out / "febrl")
    try:
        run_script(
            name,
            SCRIPTS[name],
            out,
            db=database_url,
            unique=unique,
            server=SERVER,
            febrl=str(febrl),
            splink=str(splink_sample(out)),
        )
    finally:  # a script may have made a database of that name
        _drop(unique)


# --- the documented commands --------------------------------------------------------------

_COMMAND = re.compile(r"(?<![\w/])bench/(\w+)\.py((?:[ \t]+(?:\\\n)?[ \t]*[^\s`|]+)*)")
_OPTION = re.compile(r"add_argument\(\s*\"(--[\w-]+)\"")


def documented_commands() -> list[tuple[str, str, str]]:
    """(document, script, arguments) of every ``bench/<script>.py …`` the documents show."""
    found = []
    for document in DOCUMENTS:
        text = document.read_text()
        for match in _COMMAND.finditer(text):
            found.append((document.name, match.group(1), match.group(2).replace("\\\n", " ")))
    return found


def test_documented_commands_name_scripts_and_options_that_exist() -> None:
    wrong = []
    for document, script, arguments in documented_commands():
        path = BENCH / f"{script}.py"
        if not path.exists():
            wrong.append(f"{document}: bench/{script}.py does not exist")
            continue
        options = set(_OPTION.findall(path.read_text()))
        for token in arguments.split():
            if token.startswith("--") and token.split("=")[0] not in options:
                wrong.append(f"{document}: bench/{script}.py has no option {token}")
            module = re.fullmatch(r"(\w+):\w+", token)
            if module and not any(
                (where / f"{module.group(1)}.py").exists() for where in (BENCH, PROJECT_ROOT)
            ):
                wrong.append(f"{document}: {token} names no module of bench/ or the project")
    assert wrong == []
