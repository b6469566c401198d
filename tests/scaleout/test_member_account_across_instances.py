"""An operator closes and opens again an account on one instance: the members of its groups whose
sockets are on the other instance are told (member:updated with the Member's `active`), once each
time, over Redis; someone outside its groups is not."""
import uuid

import pytest
import requests

from tests.integration.chat import create_group, open_direct, post
from tests.servers import PASSWORD, ChatUser, wait_for

pytestmark = pytest.mark.integration


def test_a_members_deactivation_and_reactivation_reach_the_group_on_the_other_instance(two_instances):
    first, second = two_instances
    operator = f"op{uuid.uuid4().hex[:8]}"
    token = first.operator_token(operator, PASSWORD)
    owner, member, gone, outsider = (ChatUser.register(first.url) for _ in range(4))
    group_id = create_group(owner, (member, gone))
    direct_id = open_direct(owner, outsider)
    events = ("member:updated", "message:new")
    there, elsewhere = member.on(second.url).socket(events), outsider.on(second.url).socket(events)
    try:
        def admin(action: str) -> None:
            answer = requests.post(f"{first.url}/api/admin/users/{gone.id}/{action}", timeout=10,
                                   headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text

        admin("deactivate")
        wait_for(lambda: there.received["member:updated"], what="the deactivation")
        admin("reactivate")
        wait_for(lambda: len(there.received["member:updated"]) >= 2, what="the reactivation")
        post(owner, direct_id, "marker")  # after both: the outsider's socket has had its chance
        wait_for(lambda: elsewhere.received["message:new"], what="the marker")
        post(owner, group_id, "marker")
        wait_for(lambda: there.received["message:new"], what="the group's marker")
        told = [(event["conversation_id"], event["member"]["id"], event["member"]["active"])
                for event in there.received["member:updated"]]
        assert told == [(group_id, gone.id, False), (group_id, gone.id, True)]
        assert elsewhere.received["member:updated"] == []
    finally:
        there.disconnect()
        elsewhere.disconnect()
