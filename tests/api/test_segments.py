"""GET /segments and /segments/{name}: counts and pages equal the warehouse's views, every member
once across pages, 404 naming the segments, 401 without a key, 422 on bad paging, 503 without a
warehouse or without its segment views."""

from __future__ import annotations

import math
import warnings

import pytest

from commercelens.activation import segment_definitions
from commercelens.api import create_app
from commercelens.api.security import HEADER, KeyStore
from commercelens.config import load_settings
from commercelens.warehouse import open_warehouse

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
NAMES = list(segment_definitions())


def direct(api_settings, sql: str) -> list[tuple]:
    with open_warehouse(api_settings, read_only=True) as w:
        return w.fetch_all(sql)


def test_list_gives_every_segment_with_the_count_of_its_view(client, headers, api_settings):
    response = client.get("/segments", headers=headers)
    assert response.status_code == 200
    listed = {s["name"]: s for s in response.json()["segments"]}
    assert list(listed) == NAMES
    for name, segment in listed.items():
        assert segment["members"] == direct(api_settings, f"select count(*) from segments.seg_{name}")[0][0]
        assert segment["members"] > 0
        assert segment["key"] == segment["columns"][0]["name"] and segment["audience"]


@pytest.mark.parametrize("name", NAMES)
def test_pages_cover_every_member_exactly_once_in_key_order(client, headers, api_settings, name):
    key = segment_definitions()[name].key
    expected = sorted(r[0] for r in direct(api_settings, f"select {key} from segments.seg_{name}"))
    page_size = max(1, math.ceil(len(expected) / 3))
    first = client.get(f"/segments/{name}", params={"page_size": page_size}, headers=headers).json()
    assert (first["total"], first["pages"]) == (len(expected), math.ceil(len(expected) / page_size))
    keys = [m[key] for m in first["members"]]
    for page in range(2, first["pages"] + 1):
        body = client.get(f"/segments/{name}", params={"page": page, "page_size": page_size}, headers=headers)
        assert body.status_code == 200 and body.json()["total"] == first["total"]
        keys += [m[key] for m in body.json()["members"]]
    assert keys == expected


def test_defaults_are_page_1_of_100_and_members_are_json_friendly(client, headers):
    body = client.get("/segments/lapsed_bookers", headers=headers).json()
    assert (body["page"], body["page_size"], body["key"], body["domain"]) == (1, 100, "user_id", "rail")
    member = body["members"][0]
    assert member["last_booked_at"].endswith("Z") and isinstance(member["lifetime_revenue_eur"], float)
    assert member["days_since_last_booking"] >= 60


def test_a_page_past_the_end_is_200_with_no_members_and_the_totals(client, headers):
    response = client.get("/segments/cart_abandoners?page=1000000&page_size=1000", headers=headers)
    body = response.json()
    assert response.status_code == 200 and body["members"] == []
    assert body["total"] > 0 and body["pages"] == 1


def test_unknown_segment_is_404_naming_the_known_ones(client, headers):
    response = client.get("/segments/high_intent", headers=headers)
    assert response.status_code == 404
    assert all(name in response.json()["detail"] for name in NAMES)


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page_size=0", "page_size"), ("page_size=1001", "page_size"), ("page=x", "page")],
)
def test_bad_paging_is_422_naming_the_parameter(client, headers, query, field):
    response = client.get(f"/segments/lapsed_bookers?{query}", headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", field]


@pytest.mark.parametrize("path", ["/segments", "/segments/lapsed_bookers", "/segments/nope"])
def test_segments_need_an_api_key(client, path):
    response = client.get(path)
    assert response.status_code == 401 and "API key" in response.json()["detail"]


def test_no_warehouse_is_503_saying_to_run_the_demo_but_an_unknown_name_is_still_404(empty_client):
    client, headers = empty_client
    for path in ("/segments", "/segments/lapsed_bookers"):
        response = client.get(path, headers=headers)
        assert response.status_code == 503 and "commercelens demo" in response.json()["detail"]
    assert client.get("/segments/nope", headers=headers).status_code == 404


def test_a_warehouse_without_segment_views_is_503_saying_to_run_transform(tmp_path):
    settings = load_settings(home=tmp_path)
    open_warehouse(settings).close()  # schemas and ops tables, nothing transformed
    headers = {HEADER: KeyStore.for_workdir(settings.home).create("tests")}
    with TestClient(create_app(settings)) as client:
        for path in ("/segments", "/segments/cards_under_review"):
            response = client.get(path, headers=headers)
            assert response.status_code == 503, response.text
            assert "commercelens transform" in response.json()["detail"]
