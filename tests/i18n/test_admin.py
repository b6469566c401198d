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
