"""The API's contract: what the OpenAPI schema says about lists and errors, JSON 404s outside
the routes, and 401 with WWW-Authenticate for a missing or wrong token."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_list_is_documented_as_a_page(schema):
    lists = 0
    for path, method, operation in _operations(schema):
        if method != "get":
            continue
        content = operation["responses"]["200"]["content"]
        if "application/json" not in content:
            continue  # a file, e.g. an event's .ics
        ok = content["application/json"]["schema"]
        ref = ok.get("$ref", "")
        if "Paginated" not in ref:
            assert ok.get("type") != "array", path
            continue
        lists += 1
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(page["properties"]) == {"count", "next", "previous", "results"}
        assert page["properties"]["next"]["nullable"] is True
        names = {p["name"] for p in operation["parameters"]}
        assert {"page", "page_size"} <= names
    assert lists >= 5


def test_every_operation_documents_its_errors_with_bodies(schema):
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        for code in ("400", "401", "403", "404", "429"):
            assert "content" in responses[code], (path, method, code)
        assert "WWW-Authenticate" in responses["401"]["headers"]
        if method in ("post", "patch", "put"):
            assert "422" in responses


def test_optional_and_nullable_fields_are_marked(schema):
    member = schema["components"]["schemas"]["StaffMemberOutput"]
    assert set(member["required"]) == {"number", "display_name", "status", "joined_at"}
    assert member["properties"]["staff_contact"]["nullable"] is True


@pytest.mark.parametrize(
    "path", ["/api/v1/members/-1/x/", "/api/v1/nowhere/", "/api/v1/rewards/-5/redeem/"]
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unrouted_api_paths_are_json_404s(client, path, method):
    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."} or "detail" in response.json()


@pytest.mark.parametrize("authorization", [None, "Token not-a-real-token", "Token "])
def test_no_or_a_wrong_token_is_a_401_with_www_authenticate(api_client, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = api_client.get("/api/v1/me/", **headers)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


# --- What the fuzzer found: bodies and addresses PostgreSQL cannot store --------------------------


@pytest.mark.parametrize(
    "body",
    [
        '{"external_id": "a\\u0000b", "amount": "1"}',
        '[{"lines": [{"product": "x\\u0000"}]}]',
        '{"k\\u0000": 1}',
        "[" * 5000 + "]" * 5000,
        '{"a": ' * 40 + "1" + "}" * 40,
    ],
    ids=["nul-in-value", "nul-nested", "nul-in-key", "very-deep", "deeper-than-allowed"],
)
def test_a_body_with_nul_or_absurd_nesting_is_a_400(staff_api_client, body):
    response = staff_api_client.post("/api/v1/purchases/", body, content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize("path", ["/api/v1/members/%00/", "/api/v1/members/?q=a%00b"])
def test_an_api_address_with_nul_is_a_400(staff_api_client, path):
    response = staff_api_client.get(path)

    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_refusal_with_a_translated_message_is_stored_for_its_idempotency_key(staff_api_client):
    # given a bad batch sent with an Idempotency-Key (its refusal is a lazily translated text)
    first = staff_api_client.post(
        "/api/v1/purchases/", [], format="json", HTTP_IDEMPOTENCY_KEY="empty-batch"
    )

    # when it is sent again
    again = staff_api_client.post(
        "/api/v1/purchases/", [], format="json", HTTP_IDEMPOTENCY_KEY="empty-batch"
    )

    # then it was a 400 both times, the second a replay of the first
    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
