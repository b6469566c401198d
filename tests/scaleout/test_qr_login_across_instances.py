"""QR-code login across processes: the waiting page's socket is held by one instance, the approving
phone talks to the other; the approval reaches the page as a fact over Redis, and the ticket is
exchanged on either instance (one site behind a load balancer)."""
import pytest

from tests.integration.qr_clients import Approver, WaitingPage

pytestmark = pytest.mark.integration


def test_an_approval_on_one_instance_reaches_the_page_on_the_other(two_instances):
    first, second = two_instances
    waiting = WaitingPage(first.url)
    try:
        qr = waiting.request_code()
        link_on_second = qr["url"].replace(first.url, second.url)
        phone = Approver(second.url)
        assert phone.open(link_on_second).status_code == 200
        waiting.expect("qr:scanned")
        assert phone.decide(link_on_second, "approve").status_code == 200
        waiting.expect("qr:approved")
        ticket = waiting.call("qr:ticket")
        assert ticket["ok"], ticket
        waiting.url = second.url  # the form post lands on the other instance
        assert waiting.post_ticket(ticket["ticket"]).status_code == 302
        assert waiting.me().json()["user"]["id"] == phone.user.id
    finally:
        waiting.close()


def test_a_refusal_on_one_instance_reaches_the_page_on_the_other(two_instances):
    first, second = two_instances
    waiting = WaitingPage(second.url)
    try:
        link_on_first = waiting.request_code()["url"].replace(second.url, first.url)
        phone = Approver(first.url)
        phone.open(link_on_first)
        waiting.expect("qr:scanned")
        phone.decide(link_on_first, "refuse")
        waiting.expect("qr:refused")
        assert waiting.call("qr:ticket")["error"]["code"] == "qr_not_approved"
    finally:
        waiting.close()
