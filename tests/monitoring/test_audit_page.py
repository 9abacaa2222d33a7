"""The audit trail page: a search, a ticket's whole history, an export."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from server.auth import service as auth
from server.auth.security import rating_key
from server.evaluations import service as evaluations
from server.evaluations.schemas import RatingCreate
from server.tickets import flows as ticket_flows
from server.windows import flows as window_flows
from tests.factories import PASSWORD
from tests.monitoring.pages import AuditPage
from tests.reports.generator import principals
from tests.terminals.conftest import LiveServer, screenshot_path

pytestmark = pytest.mark.browser


def test_an_audit_search_and_a_tickets_history(server: LiveServer, browser: Browser) -> None:
    core = server.core
    who = principals(core)
    a1 = ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    window_flows.sign_in(core, hall="h1", window="2", post="A", actor=who["s2"])
    window_flows.call_next(core, hall="h1", window="2", actor=who["s2"])
    window_flows.transfer(core, hall="h1", window="2", service="SB02", actor=who["s2"])
    window_flows.call_next(core, hall="h1", window="2", actor=who["s2"])
    window_flows.finish(core, hall="h1", window="2", outcome="completed", actor=who["s2"])
    window_flows.sign_in(core, hall="h1", window="1", post="A", actor=who["s1"])
    window_flows.call_next(core, hall="h1", window="1", actor=who["s1"])
    window_flows.finish(core, hall="h1", window="1", outcome="completed", actor=who["s1"])
    evaluations.record(core, ticket_id=a1.id, channel="web", rating=RatingCreate(level=5),
                       key=rating_key(a1.id, core.settings.pepper))

    audit = AuditPage(browser, server.url)
    audit.open("h1", auth.login(core, username="op", password=PASSWORD))
    expect(audit.rows.first).to_be_visible()
    everything = audit.rows.count()
    audit.search(staff="s2")
    expect(audit.summary).to_contain_text("显示")
    expect(audit.rows.filter(has_text="员工1")).to_have_count(0)
    expect(audit.rows.filter(has_text="转移")).to_have_count(1)
    assert 0 < audit.rows.count() < everything
    audit.search(staff="s2", action="finish")
    expect(audit.rows).to_have_count(1)
    expect(audit.rows.first).to_contain_text("办结")
    expect(audit.rows.first).to_contain_text("办理结果：办结")

    audit.open_history(audit.rows.first.locator("a.tk-link").inner_text())
    history = audit.history
    expect(history.locator("#h-title")).to_contain_text("养老保险")  # after its transfer
    actions = history.locator("#h-entries tbody tr")
    expect(actions.first).to_contain_text("取号")
    expect(history.locator('#h-entries tr[data-action="transfer"]')).to_have_count(1)
    expect(history.locator('#h-entries tr[data-action="finish"]')).to_have_count(1)
    expect(history.locator("#h-facts")).to_contain_text("已办结")
    expect(history.locator("#h-rating")).to_contain_text("非常满意")
    audit.shot(screenshot_path("monitor-audit"))

    data = audit.download("csv").decode("utf-8-sig")
    lines = data.strip().splitlines()
    assert lines[0] == "时间,操作,工号,人员,设备,窗口,号码,详情"
    assert len(lines) == 2 and ",办结,s2,员工2," in lines[1]
    audit.switch_language()
    expect(audit.page.locator("#audit-form button[type=submit]")).to_have_text("Show")
    expect(audit.rows.first).to_contain_text("finish")
    expect(audit.rows.first).to_contain_text("outcome: completed")
    assert audit.errors == [] and audit.dialogs == []
    audit.close()
