"""Bulk import through the API: a file in, a job on the imports queue, outcomes per row."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tests.conftest import new_citizen_payload

CSV_MAPPING = {
    "Forename": "given_name",
    "Surname": "family_name",
    "Born": "date_of_birth",
    "Mail": "email",
    "Street": "address.line1",
    "Town": "address.locality",
    "Postcode": "address.postcode",
    "Account": "identifier.RATES_ACCOUNT",
}
CSV_FILE = (
    "Forename,Surname,Born,Mail,Street,Town,Postcode,Account,Ignored\n"
    "Margaret,Okafor,1971-05-14,m.okafor@example.org,3 Hill Road,Ryde,2112,RA-1001,x\n"
    "Peter,Lindqvist,not-a-date,,,,,RA-1002,x\n"
    "John,Smith,1984-03-02,,12 George Street,Parramatta,2150,RA-1003,x\n"
    "Margaret,Okafor,1971-05-14,m.okafor@example.org,3 Hill Rd,Ryde,2112,,x\n"
    "Tomasz,Wojcik,1990-11-30,t.wojcik@example.org,,,,RA-1004,x\n"
)


def post_csv(api: Any, content: str, mapping: dict[str, str] | None = CSV_MAPPING) -> Any:
    url = "/api/v1/imports"
    if mapping is not None:
        url += "?mapping=" + quote(json.dumps(mapping))
    return api.post(url, data=content.encode(), headers={"Content-Type": "text/csv"})


def run_import(api: Any, burst_worker: Any, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.get_json()
    assert burst_worker()
    status = api.get(response.headers["Location"])
    assert status.status_code == 200
    return status.get_json()  # type: ignore[no-any-return]


def rows(api: Any, import_id: str, outcome: str | None = None) -> list[dict[str, Any]]:
    url = f"/api/v1/imports/{import_id}/rows" + (f"?outcome={outcome}" if outcome else "")
    response = api.get(url)
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def test_csv_import_creates_links_and_rejects_with_reasons(rates: Any, burst_worker: Any) -> None:
    existing = rates.post("/api/v1/citizens", json=new_citizen_payload()).get_json()
    response = post_csv(rates, CSV_FILE)
    body = response.get_json()
    assert body["status"] == "queued" and body["format"] == "csv"
    assert body["mapping"] == CSV_MAPPING
    done = run_import(rates, burst_worker, response)
    assert done["status"] == "completed", done
    assert done["rows_total"] == 5 and done["rows_done"] == 5 and done["progress"] == 1.0
    assert done["counts"] == {"created": 2, "linked": 2, "review": 0, "rejected": 1}, done
    outcomes = {row["row_number"]: row for row in rows(rates, done["id"])}
    assert outcomes[2]["outcome"] == "rejected"
    assert "date_of_birth" in outcomes[2]["reasons"]
    assert outcomes[3] == outcomes[3] | {"outcome": "linked", "citizen_id": existing["id"]}
    # The earlier row of the same file is the same person: one record, not two.
    assert outcomes[4]["outcome"] == "linked"
    assert outcomes[4]["citizen_id"] == outcomes[1]["citizen_id"]
    rejected = rows(rates, done["id"], "rejected")
    assert [row["row_number"] for row in rejected] == [2]
    # Linking added the department's identifier to the existing record.
    linked = rates.get(f"/api/v1/citizens/{existing['id']}").get_json()
    assert {"system": "RATES_ACCOUNT", "value": "RA-1003", "masked": False} in linked["identifiers"]


def test_reimporting_the_same_file_creates_nothing(rates: Any, burst_worker: Any) -> None:
    first = run_import(rates, burst_worker, post_csv(rates, CSV_FILE))
    second = run_import(rates, burst_worker, post_csv(rates, CSV_FILE))
    assert second["counts"] == {
        "created": 0,
        "linked": first["counts"]["created"] + first["counts"]["linked"],
        "review": 0,
        "rejected": first["counts"]["rejected"],
    }


def test_ndjson_import(rates: Any, burst_worker: Any) -> None:
    lines = [
        json.dumps(new_citizen_payload(given_name="Aroha", family_name="Ngata")),
        "{not json",
        json.dumps({"given_name": "Solo"}),
        json.dumps(["a list"]),
    ]
    response = rates.post(
        "/api/v1/imports",
        data="\n".join(lines).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    done = run_import(rates, burst_worker, response)
    assert done["counts"]["created"] + done["counts"]["rejected"] == 4
    reasons = {row["row_number"]: row["reasons"] for row in rows(rates, done["id"], "rejected")}
    assert "row" in reasons[2] and "row" in reasons[4]


def test_a_file_the_api_cannot_read_is_refused(rates: Any) -> None:
    assert post_csv(rates, "Forename,Surname\nA,B\n", {"Nope": "given_name"}).status_code == 422
    assert post_csv(rates, "Forename,Surname\nA,B\n", {"Forename": "shoe_size"}).status_code == 422
    assert post_csv(rates, "Colour\nred\n", None).status_code == 422
    assert post_csv(rates, "given_name,family_name\nA,B\n", None).status_code == 202
    assert post_csv(rates, "").status_code == 422
    bad = rates.post("/api/v1/imports", data=b"\xff\xfe", headers={"Content-Type": "text/csv"})
    assert bad.status_code == 422
    other = rates.post("/api/v1/imports", data=b"x", headers={"Content-Type": "text/plain"})
    assert other.status_code == 415


def test_files_above_one_megabyte_are_taken_up_to_the_import_limit(
    rates: Any, app: Any, monkeypatch: Any
) -> None:
    row = "Margaret,Okafor,1971-05-14,m.okafor@example.org,3 Hill Road,Ryde,2112,,x\n"
    big = CSV_FILE.splitlines()[0] + "\n" + row * (2 * 1024 * 1024 // len(row))
    assert post_csv(rates, big).status_code == 202
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    assert post_csv(rates, big).status_code == 413


def test_another_department_cannot_see_an_import(rates: Any, waste: Any) -> None:
    created = post_csv(rates, CSV_FILE).get_json()
    assert waste.get(f"/api/v1/imports/{created['id']}").status_code == 404
    assert waste.get(f"/api/v1/imports/{created['id']}/rows").status_code == 404


def test_a_file_as_departments_write_it_joins_split_columns_and_reads_basic_dates(
    rates: Any, burst_worker: Any
) -> None:
    # FEBRL's layout: a space after each comma, the house number apart from its street,
    # dates as YYYYMMDD, and cells left empty.
    content = (
        "rec_id, given_name, surname, street_number, address_1, suburb, postcode, dob\n"
        "rec-1-org, lachlan, berry, 69, giblin street, bittern, 4814, 19990219\n"
        "rec-2-org, , waller, , , , 4011, 19081209\n"
        "rec-1-dup-0, lachlan, berry, 69, giblin st, bittern, 4814, 19990219\n"
    )
    mapping = {
        "given_name": "given_name",
        "surname": "family_name",
        "street_number": "address.line1",
        "address_1": "address.line1",
        "suburb": "address.locality",
        "postcode": "address.postcode",
        "dob": "date_of_birth",
    }
    done = run_import(rates, burst_worker, post_csv(rates, content, mapping))
    assert done["counts"] == {"created": 2, "linked": 1, "review": 0, "rejected": 0}, done
    outcomes = {row["row_number"]: row for row in rows(rates, done["id"])}
    assert outcomes[3]["citizen_id"] == outcomes[1]["citizen_id"]
    berry = rates.get(f"/api/v1/citizens/{outcomes[1]['citizen_id']}").get_json()
    assert berry["date_of_birth"] == "1999-02-19"
    assert berry["addresses"][0]["line1"] == "69 giblin street"
    waller = rates.get(f"/api/v1/citizens/{outcomes[2]['citizen_id']}").get_json()
    assert (waller["given_name"], waller["addresses"][0]["postcode"]) == (None, "4011")
