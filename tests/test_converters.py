"""blueprints/converters.py: ids in URL paths are integers from 1 to 2**53 - 1, as in bodies; any
other path matches no route (404 `not_found`) and never reaches the database."""
import re

import pytest

from actions.validation import MAX_SAFE_INTEGER
from tests.helpers import bearer, error_of, refused


def test_no_route_takes_an_unbounded_number(app):
    rules = [rule.rule for rule in app.url_map.iter_rules()]
    assert [rule for rule in rules if re.search(r"<(int|float)(\(.*?\))?:", rule)] == []
    assert any("<id:" in rule for rule in rules)


@pytest.mark.parametrize("segment", [str(MAX_SAFE_INTEGER + 1), "99999999999999999999999", "9" * 5000, "0",
                                     "00", "-1", "+1", "1.0", "1e3", "%D9%A1", "%EF%BC%91", "1_0"])
def test_an_id_out_of_bounds_matches_no_route(client, alice, segment):
    headers = {**bearer(alice), "Accept": "application/json"}  # /files/ answers pages otherwise
    for method, url in [("GET", f"/api/conversations/{segment}"), ("GET", f"/api/conversations/{segment}/changes"),
                        ("PATCH", f"/api/messages/{segment}"), ("DELETE", f"/api/groups/1/members/{segment}"),
                        # a path that other methods take as well: werkzeug tried the methods first (405)
                        ("POST", f"/api/conversations/{segment}/messages"), ("DELETE", f"/api/messages/{segment}"),
                        ("PATCH", f"/api/groups/1/members/{segment}"), ("DELETE", f"/api/conversations/{segment}/mute"),
                        ("GET", f"/api/files/{segment}"), ("GET", f"/files/{segment}")]:
        assert refused(client.open, url, method=method, headers=headers, json={}) == (404, "not_found"), url


def test_ids_within_bounds_reach_the_view(client, alice):
    for segment in ("1", "007", str(MAX_SAFE_INTEGER)):
        response = client.get(f"/api/conversations/{segment}", headers=bearer(alice))
        assert error_of(response) == (404, "conversation_not_found")


def test_a_method_no_route_of_the_path_takes_is_still_405(client, alice):
    for method, url in [("PUT", "/api/messages/1"), ("POST", "/api/conversations/1"), ("PUT", "/api/me")]:
        assert refused(client.open, url, method=method, headers=bearer(alice), json={}) == (405, "method_not_allowed")
