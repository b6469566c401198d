"""static/js/chat/sync.js in Chromium: catching up from each conversation's watermark, against a
model of the server's `sync` answer, and the chat page against the real server."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, module_script_runner, open_as, post
from tests.servers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration]

# `server` answers `sync` as the server does (changes_since: every message changed after
# `since`, oldest change first, `limit` a page); `live(message)` is what the page does with a
# message:new or message:updated; `idle()` waits until no sync is due or on its way.
SYNC = """
  const { ConversationStore } = await import("/static/js/chat/store.js");
  const { Sync } = await import("/static/js/chat/sync.js");
  const server = {
    connected: true, revision: 0, rows: new Map(), limit: 100, requests: [], gate: null,
    /** Create message `id` (or change it): its new state, as the live event carries it. */
    write(id, body) {
      this.revision += 1;
      const seq = this.rows.get(id)?.seq ?? this.rows.size + 1;
      const message = { id, seq, revision: this.revision, body, conversation_id: 1 };
      this.rows.set(id, message);
      return message;
    },
    changes(since) {
      const rows = [...this.rows.values()].filter((m) => m.revision > since).sort((a, b) => a.revision - b.revision);
      const page = rows.slice(0, this.limit);
      return { conversation_id: 1, revision: page.length ? page.at(-1).revision : since,
               has_more: rows.length > this.limit, messages: page };
    },
    async request(event, payload) {
      this.requests.push(payload.conversations.map((cursor) => cursor.since));
      const answer = { ok: true, conversations: payload.conversations.map((cursor) => this.changes(cursor.since)) };
      if (this.gate) await this.gate;  // read now, answered later: live events can overtake it
      return answer;
    },
  };
  const store = new ConversationStore({ id: 99 });
  store.upsert({ id: 1, kind: "group", name: "g" });
  const thread = store.thread(1);
  const sync = new Sync({ store, connection: server, gapDelayMs: 0,
    receive: (id, messages) => { for (const m of messages) store.threads.get(id).apply(m); } });
  const live = (message) => { thread.apply(message); sync.check(1); };
  /** The newest page of history, as History.newest applies it. */
  const load = () => {
    thread.applyHistory([...server.rows.values()], false);
    thread.loaded = true;
    thread.revisions.coveredUpTo(server.revision);
  };
  const idle = async () => {
    while (sync.gapTimers.size || sync.inFlight.size) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const shown = () => thread.messages.map((m) => m.body);
"""


@pytest.fixture
def run(module_page):
    """Run an async script body with server, thread, sync, live, load, idle and shown() in scope."""
    return module_script_runner(module_page, SYNC)


def test_a_live_event_before_the_reconnect_sync_does_not_move_the_cursor_past_a_missed_one(run):
    result = run("""
        server.write(1, "seen");
        load();
        server.connected = false;
        server.write(2, "m1");           // sent while we were away
        server.connected = true;
        live(server.write(3, "m2"));     // arrives before the reconnect's sync
        await sync.all();
        await idle();
        return { requests: server.requests, shown: shown(), watermark: thread.revisions.watermark };
    """)
    assert result == {"requests": [[1]], "shown": ["seen", "m1", "m2"], "watermark": 3}


def test_events_out_of_order_close_their_own_gap(run):
    result = run("""
        server.write(1, "one");
        load();
        const two = server.write(2, "two"), three = server.write(3, "three");
        live(three);
        const waiting = [thread.revisions.watermark, thread.revisions.hasGap];
        live(two);
        await idle();
        return { waiting, watermark: thread.revisions.watermark, requests: server.requests, shown: shown() };
    """)
    assert result == {"waiting": [1, True], "watermark": 3, "requests": [], "shown": ["one", "two", "three"]}


def test_a_gap_is_filled_from_the_changes_page_after_page(run):
    result = run("""
        server.write(1, "one");
        load();
        for (let id = 2; id <= 6; id += 1) server.write(id, "missed " + id);
        server.limit = 2;
        live(server.write(7, "seven"));
        await idle();
        return { requests: server.requests, watermark: thread.revisions.watermark, shown: shown() };
    """)
    assert result == {"requests": [[1], [3], [5]], "watermark": 7,
                      "shown": ["one", "missed 2", "missed 3", "missed 4", "missed 5", "missed 6", "seven"]}


def test_a_revision_superseded_before_it_arrived_is_resolved_by_the_changes(run):
    result = run("""
        server.write(1, "one");
        load();
        server.write(2, "draft");            // revision 2 never arrives live...
        live(server.write(3, "three"));
        live(server.write(2, "final"));      // ...its message is at revision 4 now
        const waiting = [thread.revisions.watermark, thread.revisions.hasGap];
        await idle();
        return { waiting, requests: server.requests, watermark: thread.revisions.watermark,
                 gap: thread.revisions.hasGap, shown: shown() };
    """)
    assert result == {"waiting": [1, True], "requests": [[1]], "watermark": 4, "gap": False,
                      "shown": ["one", "final", "three"]}


def test_duplicate_and_stale_deliveries_are_applied_once_and_fill_no_gap(run):
    result = run("""
        server.write(1, "one");
        load();
        server.connected = false;            // the gap stays open: no sync can run
        server.write(2, "missed");
        const three = server.write(3, "three");
        live(three);
        live(three);
        live({ ...server.rows.get(1) });
        const edited = server.write(3, "three, edited");
        live(edited);
        live(three);                         // late and stale: older than what is shown
        await idle();
        return { shown: shown(), watermark: thread.revisions.watermark, gap: thread.revisions.hasGap,
                 count: thread.messages.length };
    """)
    assert result == {"shown": ["one", "three, edited"], "watermark": 1, "gap": True, "count": 2}


def test_one_sync_at_a_time_per_conversation_and_one_more_if_asked_meanwhile(run):
    result = run("""
        server.write(1, "one");
        load();
        let open;
        server.gate = new Promise((resolve) => { open = resolve; });
        server.write(2, "two");
        const first = sync.all();            // reads up to 2, answer held
        live(server.write(3, "three"));      // overtakes the answer
        server.write(4, "four");             // missed
        live(server.write(5, "five"));
        const second = sync.all();           // a reconnect while the first is on its way
        while (sync.gapTimers.size) await new Promise((resolve) => setTimeout(resolve, 5));  // the gap's timer too
        const whileHeld = server.requests.length;
        server.gate = null;
        open();
        await Promise.all([first, second]);
        await idle();
        return { whileHeld, requests: server.requests, watermark: thread.revisions.watermark, shown: shown() };
    """)
    assert result == {"whileHeld": 1, "requests": [[1], [3]], "watermark": 5,
                      "shown": ["one", "two", "three", "four", "five"]}


def test_more_conversations_than_one_sync_may_name_are_synced_in_several_requests(module_page):
    """The server answers a `sync` of more than 500 cursors invalid_conversations (docs/protocol.md): a
    page with 501 conversations loaded asked for them all at once, was refused, and caught up none."""
    result = module_page.evaluate("""async () => {
        const { ConversationStore } = await import("/static/js/chat/store.js");
        const { Sync } = await import("/static/js/chat/sync.js");
        const store = new ConversationStore({ id: 99 });
        for (let id = 1; id <= 501; id += 1) {
          store.upsert({ id, kind: "group", name: `g${id}` });
          store.thread(id).loaded = true;
        }
        const asked = [];
        const server = { connected: true, async request(event, payload) {
          asked.push(payload.conversations.length);
          if (payload.conversations.length > 500) {
            return { ok: false, error: { code: "invalid_conversations", message: "at most 500" } };
          }
          return { ok: true, conversations: payload.conversations.map((cursor) => ({
            conversation_id: cursor.conversation_id, revision: cursor.since + 1, has_more: false,
            messages: [{ id: cursor.conversation_id, conversation_id: cursor.conversation_id, seq: 1,
                         revision: cursor.since + 1, body: "missed" }] })) };
        } };
        const sync = new Sync({ store, connection: server, gapDelayMs: 0,
          receive: (id, messages) => { for (const m of messages) store.threads.get(id).apply(m); } });
        await sync.all();
        const caughtUp = [...store.threads.values()].filter((thread) => thread.revisions.watermark === 1).length;
        return { asked, caughtUp };
    }""")
    assert result == {"asked": [500, 1], "caughtUp": 501}


# The page's first `sync` after a reconnect waits until its conversation list arrives: hold that
# list, so that a live message overtakes the sync; record what every `sync` asks for.
HOLD_LIST_AND_RECORD_SYNCS = """() => {
  window.syncCursors = [];
  const socket = window.switchboardSocket;
  const emitWithAck = socket.emitWithAck.bind(socket);
  socket.emitWithAck = (event, payload) => {
    if (event === "sync") window.syncCursors.push(...payload.conversations.map((cursor) => cursor.since));
    return emitWithAck(event, payload);
  };
  window.heldLists = [];
  const fetch = window.fetch.bind(window);
  window.fetch = (url, options) => {
    if (String(url).endsWith("/api/conversations") && window.holdLists) {
      return new Promise((resolve) => window.heldLists.push(() => resolve(fetch(url, options))));
    }
    return fetch(url, options);
  };
}"""


def test_the_page_resyncs_from_its_watermark_after_a_live_message_overtakes_the_resync(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)
    post(alice_account, group["id"], "seen")
    bob = open_as(chat_page, bob_account, group["id"])
    expect(bob.messages).to_have_count(1)
    bob.page.evaluate(HOLD_LIST_AND_RECORD_SYNCS)

    bob.page.evaluate("window.switchboardSocket.disconnect()")
    bob.expect_state("offline")
    post(alice_account, group["id"], "m1")
    bob.page.evaluate("window.holdLists = true; window.switchboardSocket.connect()")
    bob.expect_state("online")
    bob.page.wait_for_function("window.heldLists.length > 0")
    post(alice_account, group["id"], "m2")
    expect(bob.message_with("m2")).to_have_count(1)

    bob.page.evaluate("window.holdLists = false; window.heldLists.forEach((release) => release())")
    expect(bob.messages).to_have_count(3)
    assert bob.page.locator("#message-list .message-body").all_inner_texts() == ["seen", "m1", "m2"]
    assert bob.page.evaluate("window.syncCursors")[0] == 1  # the watermark, not the highest revision seen (3)
    assert bob.shown_seqs() == [1, 2, 3]
    assert_nothing_went_wrong(bob)


def test_the_open_groups_members_are_read_again_after_a_reconnect(chat_page, api_user):
    """Joins and leaves told while the page was away (member:joined, member:left) are lost: its header,
    the panel and @mention completion kept the members as they were until the group was opened again."""
    accounts = {name: api_user(name[:2]) for name in ("Alice", "Bob", "Carol", "Dave")}
    for name, account in accounts.items():
        assert account.api("PATCH", "/me", json={"display_name": name}).status_code == 200
    alice_account, bob_account, carol_account, dave_account = accounts.values()
    group = group_with(alice_account, bob_account, carol_account)["id"]
    alice = open_as(chat_page, alice_account, group)
    subtitle = alice.page.locator("#conversation-subtitle")
    expect(subtitle).to_contain_text("Bob")

    alice.page.evaluate("window.switchboardSocket.disconnect()")
    alice.expect_state("offline")
    assert alice_account.api("DELETE", f"/groups/{group}/members/{bob_account.id}").status_code == 200
    assert alice_account.api("POST", f"/groups/{group}/members", json={"user_id": dave_account.id}).status_code == 201
    alice.page.evaluate("window.switchboardSocket.connect()")
    alice.expect_state("online")

    expect(subtitle).to_contain_text("Dave")
    expect(subtitle).not_to_contain_text("Bob")
    assert_nothing_went_wrong(alice)



def test_the_open_groups_presence_is_read_again_after_a_reconnect(chat_page, api_user):
    """Comings and goings told while the page was away (presence:batch) are lost: the open group kept
    showing a member offline who had come online meanwhile until its next poll, a minute later."""
    alice_account, bob_account, carol_account = api_user("al"), api_user("bob"), api_user("ca")
    group = group_with(alice_account, bob_account, carol_account)["id"]
    carol_socket = carol_account.socket(("presence:batch",))  # online throughout, she hears what alice misses
    alice = open_as(chat_page, alice_account, group)
    presence_line = alice.page.locator("#conversation-presence")
    expect(presence_line).to_have_text("3 members, 2 online")

    alice.page.evaluate("window.switchboardSocket.disconnect()")
    alice.expect_state("offline")
    bob_socket = bob_account.socket(())
    wait_for(lambda: any(entry["user_id"] == bob_account.id and entry["online"]
                         for frame in carol_socket.received["presence:batch"] for entry in frame["users"]),
             what="bob's coming online told")
    alice.page.evaluate("window.switchboardSocket.connect()")
    alice.expect_state("online")

    expect(presence_line).to_have_text("3 members, 3 online")
    assert_nothing_went_wrong(alice)
    bob_socket.disconnect()
    carol_socket.disconnect()
