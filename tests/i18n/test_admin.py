"""The back office in Simplified Chinese: Flask-Admin's own pages through its catalogue, our menu
and dashboard through ours; English stays English."""
from __future__ import annotations

from tests.admin.conftest import operator_client  # noqa: F401  (the fixture)

ZH = {"Accept-Language": "zh-CN"}


def test_the_dashboard_and_menu_in_chinese(operator_client):  # noqa: F811
    html = operator_client.get("/admin/", headers=ZH).get_data(as_text=True)
    assert "<h1>Switchboard 后台</h1>" in html and "当前在线" in html
    assert ">用户<" in html.replace(" ", "").replace("\n", "") and "审计日志" in html


def test_a_flask_admin_list_in_chinese(operator_client):  # noqa: F811
    html = operator_client.get("/admin/user/", headers=ZH).get_data(as_text=True)
    assert "列表" in html  # Flask-Admin's own "List" tab, from its zh_Hans_CN catalogue


def test_the_back_office_in_english(operator_client):  # noqa: F811
    html = operator_client.get("/admin/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "<h1>Switchboard back office</h1>" in html and "Online now" in html and "后台" not in html


def test_an_accounts_page_in_chinese(operator_client, alice):  # noqa: F811
    html = operator_client.get(f"/admin/user/manage/?id={alice.id}", headers=ZH).get_data(as_text=True)
    assert "停用（封禁）" in html and "<h4>重置密码</h4>" in html and "Reset password" not in html


def test_the_operations_and_jobs_pages_in_chinese(operator_client):  # noqa: F811
    assert "<h4>依赖服务</h4>" in operator_client.get("/admin/operations/", headers=ZH).get_data(as_text=True)
    assert "<h2>后台任务</h2>" in operator_client.get("/admin/jobs/", headers=ZH).get_data(as_text=True)


def test_list_headings_and_times_in_the_readers_language(operator_client, alice):  # noqa: F811
    html = operator_client.get("/admin/user/", headers=ZH).get_data(as_text=True)
    assert "显示名称" in html and "最近在线" in html  # headings the panel does not label itself, and its own
    assert "UTC" in html and "年" in html  # created_at in the reader's locale, the zone named


def test_filters_row_actions_and_search_box_in_chinese(operator_client, alice, bob):  # noqa: F811
    """The "Add filter" menu, the row links' titles and the search box's hint are in the reader's language
    (Flask-Admin fixed the filters' names, in English, at start-up, and showed the columns' own names)."""
    from actions.messages import send_message
    from tests.factories import make_group

    send_message(bob, make_group(alice, members=[bob]).id, "hello")
    html = operator_client.get("/admin/user/", headers=ZH).get_data(as_text=True)
    menu = html[html.index('class="dropdown-menu field-filters"'):]
    menu = menu[:menu.index("</div>")]
    assert ">角色<" in menu and ">启用<" in menu and ">Role<" not in menu and ">Active<" not in menu
    assert 'title="管理账号"' in html and 'placeholder="用户名, 显示名称, 电子邮箱, 手机号"' in html
    messages = operator_client.get("/admin/message/", headers=ZH).get_data(as_text=True)
    assert ">发送者<" in messages and ">Sender<" not in messages and 'title="会话上下文"' in messages
    assert "搜索文本" in messages
    # A filter's address stays English whatever the language: a link filters alike for everyone.
    assert '"arg": "role_equals"' in html and "flt0_sender_contains" in operator_client.get(
        "/admin/message/?flt0_sender_contains=alice", headers=ZH).get_data(as_text=True)


def test_filters_in_english(operator_client):  # noqa: F811
    html = operator_client.get("/admin/user/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert ">Role<" in html and 'title="Manage account"' in html
    assert 'placeholder="Username, Display name, Email, Phone"' in html


def test_page_sizes_navigation_and_our_filters_operations_in_chinese(operator_client):  # noqa: F811
    """Flask-Admin's page-size menu ("20 items": its template formats the number into the text it looks up, which
    no catalogue holds), the navigation toggle's name, and the operations and options of our own filters
    (messages' kind and hidden, files' status) were English in a Chinese back office."""
    import json
    import re

    for path in ("/admin/user/", "/admin/message/", "/admin/attachment/"):
        html = operator_client.get(path, headers=ZH).get_data(as_text=True)
        assert "20 项目" in html and not re.search(r"\d items\b", html), path
        assert 'aria-label="切换导航"' in html and "Toggle navigation" not in html, path
        filters = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]*)<', html).group(1))
        operations = {entry["operation"] for group in filters.values() for entry in group}
        options = {label for group in filters.values() for entry in group for _value, label in entry["options"] or ()}
        assert not operations & {"is", "equals"} and not options & {"yes", "no"}, (path, operations, options)
