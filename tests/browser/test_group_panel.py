"""The group info panel in a real browser (issue 8, defect 2): a private group created, a member added
by search, promoted, the group renamed, another removed, ownership handed over, the old owner leaving
and the new one deleting it, each seen live by the other member's page, with the membership notes in
the conversation; and a public group previewed before joining."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.helpers import assert_nothing_went_wrong, group_with, member_row, page_user_id, post

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def named(api_user, prefix: str, display_name: str):
    account = api_user(prefix)
    assert account.api("PATCH", "/me", json={"display_name": display_name}).status_code == 200
    return account


def notes(chat):
    return chat.page.locator("#message-list .message.note .note-text span")


def confirm(chat) -> None:
    expect(chat.page.locator("#confirm-dialog")).to_be_visible()
    chat.page.click("#confirm-button")


def create_private_group(chat, name: str) -> int:
    """Create a private group through the page's dialog; the page opens it. Its id."""
    chat.page.click("#new-group-button")
    chat.page.fill("#group-name", name)
    chat.page.check("input[name=visibility][value=private]")
    chat.page.click("#create-group-submit")
    expect(chat.page.locator("#conversation-title")).to_have_text(name)
    return int(chat.page.locator("#conversation-list .conversation.active").get_attribute("data-conversation-id"))


def open_panel(chat) -> None:
    chat.page.click("#group-info-button")
    expect(chat.page.locator("#group-panel")).to_be_visible()


def test_a_private_group_is_managed_from_its_panel_and_the_other_member_sees_it_live(chat_page, api_user):
    alice = chat_page()
    alice.register(f"al{uuid.uuid4().hex[:8]}", "Alice Owner")
    alice_id = page_user_id(alice)
    bob_account = named(api_user, "bob", f"Bob {uuid.uuid4().hex[:6]}")
    bob_name = bob_account.api("GET", "/me").json()["user"]["display_name"]
    carol_account = named(api_user, "carol", f"Carol {uuid.uuid4().hex[:6]}")
    carol_name = carol_account.api("GET", "/me").json()["user"]["display_name"]
    bob = chat_page()
    bob.log_in(bob_account.username)

    # A private group, created in the page: only its owner is in it.
    group_id = create_private_group(alice, "Planning")
    open_panel(alice)
    expect(alice.page.locator("#group-panel-count")).to_contain_text("1 member")
    expect(member_row(alice, alice_id).locator(".member-role")).to_have_text("Owner")
    expect(alice.page.locator("#group-panel-delete")).to_be_visible()

    # Added by search: Bob's page gets the group, with the note of who added him.
    alice.page.fill("#group-add-search", bob_name)
    alice.page.locator(f"#group-add-results .result[data-user-id='{bob_account.id}'] button").click()
    expect(member_row(alice, bob_account.id).locator(".member-role")).to_have_text("Member")
    expect(alice.page.locator("#group-panel-count")).to_contain_text("2 members")
    expect(bob.conversation(group_id)).to_have_count(1)
    bob.open(group_id)
    expect(notes(bob).last).to_have_text(f"Alice Owner added {bob_name}")
    open_panel(bob)
    expect(bob.page.locator("#group-manage")).to_be_hidden()  # a plain member manages nothing
    expect(member_row(bob, alice_id).locator(".member-role")).to_have_text("Owner")
    expect(member_row(bob, alice_id).locator(".member-actions")).to_have_count(0)

    # Promoted: Bob's open panel follows, and now offers him the management.
    member_row(alice, bob_account.id).get_by_role("button", name=f"Make admin ({bob_name})").click()
    expect(member_row(bob, bob_account.id).locator(".member-role")).to_have_text("Admin")
    expect(bob.page.locator("#group-manage")).to_be_visible()
    expect(notes(bob).last).to_have_text(f"Alice Owner made {bob_name} an admin")
    expect(bob.page.locator("#group-picture-button")).to_be_attached()
    assert bob.page.locator("#group-picture-button").get_attribute("hidden") is None  # admins change the picture
    assert axe_violations(bob.page) == []  # the panel open, with its forms and member buttons

    # Renamed and described: Bob's header, panel and conversation follow.
    alice.page.fill("#group-edit-name", "Launch plan")
    alice.page.fill("#group-edit-description", "Dates <b>and</b> owners")
    alice.page.click("#group-edit-save")
    expect(bob.page.locator("#conversation-title")).to_have_text("Launch plan")
    expect(bob.page.locator("#group-panel-name")).to_have_text("Launch plan")
    expect(bob.page.locator("#group-panel-description")).to_have_text("Dates <b>and</b> owners")  # text, not HTML
    expect(notes(bob).nth(-2)).to_have_text("Alice Owner renamed the group to “Launch plan”")
    expect(notes(bob).last).to_have_text("Alice Owner changed the group's description")

    # The admin Bob removes a member Alice added; Alice's panel follows.
    alice.page.fill("#group-add-search", carol_name)
    alice.page.locator(f"#group-add-results .result[data-user-id='{carol_account.id}'] button").click()
    expect(member_row(bob, carol_account.id)).to_have_count(1)
    # An admin may not touch the owner: no buttons on Alice's row for Bob.
    expect(member_row(bob, alice_id).locator(".member-actions")).to_have_count(0)
    member_row(bob, carol_account.id).get_by_role("button", name=f"Remove ({carol_name})").click()
    confirm(bob)
    expect(member_row(alice, carol_account.id)).to_have_count(0)
    expect(notes(alice).last).to_have_text(f"{bob_name} removed {carol_name}")

    # Alice hands the group over to Bob: she stays an admin and can no longer delete it.
    member_row(alice, bob_account.id).get_by_role("button", name=f"Make owner ({bob_name})").click()
    confirm(alice)
    expect(member_row(alice, alice_id).locator(".member-role")).to_have_text("Admin")
    expect(alice.page.locator("#group-panel-delete")).to_be_hidden()
    expect(member_row(bob, bob_account.id).locator(".member-role")).to_have_text("Owner")
    expect(bob.page.locator("#group-panel-delete")).to_be_visible()
    expect(notes(bob).last).to_have_text(f"Alice Owner made {bob_name} the group's owner")

    # Alice leaves from the panel: the group leaves her page, Bob sees her go.
    alice.page.click("#group-panel-leave")
    confirm(alice)
    expect(alice.conversation(group_id)).to_have_count(0)
    expect(member_row(bob, alice_id)).to_have_count(0)
    expect(notes(bob).last).to_have_text("Alice Owner left the group")

    # Bob, the owner, deletes it: archived at once, then gone from his page once the job removed it.
    bob.page.click("#group-panel-delete")
    confirm(bob)
    expect(bob.page.locator("#group-panel")).to_be_hidden()
    expect(bob.conversation(group_id)).to_have_count(0, timeout=30_000)
    assert bob_account.api("GET", f"/conversations/{group_id}").status_code == 404
    assert_nothing_went_wrong(alice, bob)


def test_the_last_owner_is_told_who_takes_over_before_leaving(chat_page, api_user):
    owner = chat_page()
    owner.register(f"ow{uuid.uuid4().hex[:8]}", "Olive Owner")
    member = named(api_user, "mem", f"Max {uuid.uuid4().hex[:6]}")
    max_name = member.api("GET", "/me").json()["user"]["display_name"]
    group_id = create_private_group(owner, "Handover")
    open_panel(owner)
    owner.page.fill("#group-add-search", max_name)
    owner.page.locator(f"#group-add-results .result[data-user-id='{member.id}'] button").click()
    expect(member_row(owner, member.id)).to_have_count(1)
    # At a phone's width the panel fits: nothing in it reaches past the viewport.
    owner.page.set_viewport_size({"width": 360, "height": 740})
    assert owner.page.evaluate("""() => [...document.querySelectorAll("#group-panel *")]
        .filter((node) => node.getClientRects().length && node.getBoundingClientRect().right > innerWidth + 0.5)
        .map((node) => node.id || node.className)""") == []
    owner.page.set_viewport_size({"width": 1200, "height": 760})
    owner.page.click("#group-panel-leave")
    expect(owner.page.locator("#confirm-text")).to_have_text(
        f"You are its only owner: {max_name} will own it. To choose someone else, make them owner first.")
    owner.page.locator("#confirm-dialog button[value=cancel]").click()
    expect(member_row(owner, page_user_id(owner)).locator(".member-role")).to_have_text("Owner")  # still there
    # The header's Leave button says the same.
    owner.page.click("#group-panel-close")
    expect(owner.page.locator("#group-panel")).to_be_hidden()
    owner.page.click("#leave-button")
    expect(owner.page.locator("#confirm-text")).to_contain_text(f"{max_name} will own it")
    owner.page.click("#confirm-button")
    expect(owner.page.locator("#conversation-view")).to_be_hidden()
    members = member.api("GET", f"/conversations/{group_id}/members").json()["members"]
    assert [(m["id"], m["role"]) for m in members] == [(member.id, "owner")]
    assert_nothing_went_wrong(owner)


def test_the_leave_warning_names_who_takes_over_not_a_deactivated_admin(chat_page, api_user, operator):
    """The server passes a last owner's group to an active account before a deactivated or suspended one
    (an admin banned by an operator could manage nothing): the warning named the admin all the same."""
    owner = api_user("ow")
    banned = named(api_user, "adm", f"Banned {uuid.uuid4().hex[:6]}")
    member = named(api_user, "mem", f"Mia {uuid.uuid4().hex[:6]}")
    mia = member.api("GET", "/me").json()["user"]["display_name"]
    group_id = owner.api("POST", "/groups", json={"name": "Heirs", "member_ids": [banned.id, member.id]}).json()[
        "conversation"]["id"]
    assert owner.api("PATCH", f"/groups/{group_id}/members/{banned.id}", json={"role": "admin"}).status_code == 200
    operator.admin_api(f"/users/{banned.id}/deactivate", status=200)
    page = chat_page()
    page.log_in(owner.username)
    page.open(group_id)
    open_panel(page)
    expect(member_row(page, member.id)).to_have_count(1)
    page.page.click("#group-panel-leave")
    expect(page.page.locator("#confirm-text")).to_have_text(
        f"You are its only owner: {mia} will own it. To choose someone else, make them owner first.")
    page.page.click("#confirm-button")
    expect(page.page.locator("#conversation-view")).to_be_hidden()
    members = member.api("GET", f"/conversations/{group_id}/members").json()["members"]
    assert {(m["id"], m["role"], m["active"]) for m in members} == {(member.id, "owner", True),
                                                                    (banned.id, "admin", False)}
    assert_nothing_went_wrong(page)


def test_the_leave_warning_asks_again_who_is_active_after_the_group_was_opened(chat_page, api_user, operator):
    """An admin deactivated by an operator after the owner opened the group is not told to the group (no
    member event): the warning named them from the members loaded at opening, while the server passes the
    group to an active member. The page asks for the members again before warning."""
    owner = api_user("ow")
    banned = named(api_user, "adm", f"Banned {uuid.uuid4().hex[:6]}")
    member = named(api_user, "mem", f"Mia {uuid.uuid4().hex[:6]}")
    mia = member.api("GET", "/me").json()["user"]["display_name"]
    group_id = owner.api("POST", "/groups", json={"name": "Heirs", "member_ids": [banned.id, member.id]}).json()[
        "conversation"]["id"]
    assert owner.api("PATCH", f"/groups/{group_id}/members/{banned.id}", json={"role": "admin"}).status_code == 200
    page = chat_page()
    page.log_in(owner.username)
    page.open(group_id)
    open_panel(page)
    expect(member_row(page, member.id)).to_have_count(1)
    operator.admin_api(f"/users/{banned.id}/deactivate", status=200)
    page.page.click("#group-panel-leave")
    expect(page.page.locator("#confirm-text")).to_have_text(
        f"You are its only owner: {mia} will own it. To choose someone else, make them owner first.")
    page.page.click("#confirm-dialog button[value=cancel]")
    assert_nothing_went_wrong(page)


def test_a_public_group_is_previewed_then_joined(chat_page, api_user):
    owner = named(api_user, "own", "Pat Publisher")
    name = f"Open house {uuid.uuid4().hex[:6]}"
    group = group_with(owner, name=name, visibility="public", description="Everyone welcome")
    post(owner, group["id"], "Doors open at <nine>")
    post(owner, group["id"], "Bring **snacks** and `cups`")  # previewed as it reads, as the sidebar does
    visitor = chat_page()
    visitor.register(f"vi{uuid.uuid4().hex[:8]}", "Vic Visitor")

    visitor.page.click("#join-group-button")
    visitor.page.fill("#group-search", name)
    visitor.page.locator(f"#group-results .result[data-group-id='{group['id']}']").get_by_role(
        "button", name=f"Preview {name}").click()
    preview = visitor.page.locator("#group-preview")
    expect(preview).to_be_visible()
    expect(visitor.page.locator("#group-preview-title")).to_have_text(name)
    expect(visitor.page.locator("#group-preview-count")).to_have_text("1 member")
    expect(visitor.page.locator("#group-preview-messages .preview-text")).to_have_text(["Doors open at <nine>",
                                                                                         "Bring snacks and cups"])
    # Previewing joined nothing: the server's member list (the preview's answer is shown, so its
    # request is over), not only the sidebar, which a join would reach later over the socket.
    members = owner.api("GET", f"/conversations/{group['id']}/members").json()["members"]
    assert [member["id"] for member in members] == [owner.id]
    expect(visitor.conversation(group["id"])).to_have_count(0)
    assert axe_violations(visitor.page) == []

    visitor.page.click("#group-preview-join")
    expect(preview).to_be_hidden()
    expect(visitor.page.locator("#conversation-title")).to_have_text(name)
    expect(visitor.message_with("Doors open at <nine>")).to_have_count(1)
    expect(notes(visitor).last).to_have_text("Vic Visitor joined the group")
    assert_nothing_went_wrong(visitor)


def test_the_header_counts_a_groups_members_once(chat_page, api_user):
    """The subtitle names the members, the presence line under it counts them: the count shows once."""
    alice_account = named(api_user, "al", "Alice")
    others = [named(api_user, "m", f"Member {number}") for number in range(5)]
    group = group_with(alice_account, *others)["id"]
    alice = chat_page()
    alice.log_in(alice_account.username)
    alice.open(group)
    expect(alice.page.locator("#conversation-presence")).to_have_text("6 members, 1 online")
    subtitle = alice.page.locator("#conversation-subtitle")
    expect(subtitle).to_have_text(re.compile(r"^Private group · (you|Member \d), .+ and 2 more$"))
    assert "you" in subtitle.text_content()
    lines = alice.page.locator("#conversation-subtitle, #conversation-presence").all_inner_texts()
    assert len(re.findall(r"\b6\b", " · ".join(lines))) == 1, lines
    assert_nothing_went_wrong(alice)
