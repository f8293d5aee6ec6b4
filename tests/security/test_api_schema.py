"""The OpenAPI schema (mtss/api_schema.py) and the POST student search.

Issue 16: 78 response status codes were undocumented, the request bodies of
/api/v1/scores/ and /api/v1/imports/ were their output shapes, and names searched
with GET ?q= land in proxy logs.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from mtss.models import AccessLog
from mtss.tenancy import tenant_context


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _body(operation) -> str:
    return operation["requestBody"]["content"]


def test_the_request_bodies_of_scores_and_imports_are_their_inputs(schema):
    scores = _body(schema["paths"]["/api/v1/scores/"]["post"])
    assert scores["application/json"]["schema"] == {"$ref": "#/components/schemas/ScoreBulk"}
    imports = _body(schema["paths"]["/api/v1/imports/"]["post"])
    assert set(imports) == {"multipart/form-data"}
    assert imports["multipart/form-data"]["schema"] == {"$ref": "#/components/schemas/ImportUpload"}
    assert "file" in schema["components"]["schemas"]["ImportUpload"]["required"]


def test_every_operation_documents_the_shared_error_answers(schema):
    operations = [
        (path, method, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) > 60
    for path, method, operation in operations:
        expected = {"400", "401", "403", "404", "429"} | ({"413"} if method in {"post", "put", "patch"} else set())
        assert expected <= set(operation["responses"]), (method, path)
    decision = schema["paths"]["/api/v1/meetings/{meeting_id}/agenda/{item_id}/decision/"]["put"]
    assert "409" in decision["responses"]


def test_the_schema_says_that_q_on_get_is_logged_and_offers_a_post_search(schema):
    [q] = [p for p in schema["paths"]["/api/v1/students/"]["get"]["parameters"] if p["name"] == "q"]
    assert "proxies and server logs record it" in q["description"]
    assert "/api/v1/students/search/" in schema["paths"]


@pytest.mark.django_db
def test_the_post_search_finds_students_by_name_without_a_name_in_the_url(world, login):
    side = world.a
    target = side.students[1]
    client = login(side.district_admin)
    response = client.post("/api/v1/students/search/", {"q": target.last_name}, content_type="application/json")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [target.pk]
    assert "no-store" in response["Cache-Control"]
    with tenant_context(side.district):
        [row] = AccessLog.objects.filter(district=side.district)
    assert (row.path, row.student_ids) == ("/api/v1/students/search/", [target.pk])
    bad = client.post("/api/v1/students/search/", {"grade": "x", "subgroup": "nope"}, content_type="application/json")
    assert bad.status_code == 400 and set(bad.json()) == {"grade", "subgroup"}
    assert client.get("/api/v1/students/search/").status_code == 405
