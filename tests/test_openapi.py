"""blueprints/api/openapi.py: the OpenAPI document names every route of the REST API, no more, no
less, and is served without login."""
import re

from blueprints.api.openapi import openapi_document, openapi_path

METHODS = {"get", "post", "patch", "put", "delete"}


def rest_routes(app) -> set[tuple[str, str]]:
    """(method, path in OpenAPI's spelling) of every route under /api/ and /files/, and /healthz."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/files/")) and rule.rule != "/healthz":
            continue
        routes |= {(method.lower(), openapi_path(rule.rule)) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return routes


def documented(document: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, operations in document["paths"].items()
            for method in operations if method in METHODS}


def test_the_document_names_every_route_and_no_other(app):
    assert documented(openapi_document()) == rest_routes(app)


def test_every_operation_answers_in_the_error_envelope_and_declares_its_path_ids(app):
    for path, operations in openapi_document()["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, operation in operations.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400 and status not in ("414", "431"):  # gunicorn's own pages
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"}, (method, path, status)


def test_it_is_served_without_login_and_schemathesis_reads_it(client):
    import schemathesis

    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.get_json() == openapi_document()
    schema = schemathesis.openapi.from_dict(response.get_json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(operation.method.lower(), operation.path) for operation in operations} == documented(
        openapi_document())
