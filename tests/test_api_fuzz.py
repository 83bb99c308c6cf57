"""Generated requests from our own OpenAPI document: no input may cause a server error.

Schemathesis reads /openapi.json and generates bodies, query strings and ids, valid and
invalid, for every operation; any 5xx, or an error that is not problem+json, fails.
"""
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests import factories


def test_no_generated_request_causes_a_server_error(app, api):
    order = api.post("/orders", json=factories.order(lines=factories.three_lines())).json
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {api.key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case):
            if "order_id" in (case.path_parameters or {}):
                case.path_parameters["order_id"] = order["id"]  # a real order, so bodies get validated
            response = case.call(headers=headers)
            assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text)
            if response.status_code >= 400:
                content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
                assert content_type and "application/problem+json" in str(content_type), (
                    case.method, case.formatted_path, response.status_code, response.headers, response.text)

        check()
