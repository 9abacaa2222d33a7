"""A 差评 from the citizen's phone to the follow-up call, in headless Chromium, no dialogs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from server.auth import service as auth
from server.auth.security import rating_key
from server.evaluations import service as evaluations
from server.evaluations.schemas import RatingCreate
from server.tickets import flows as ticket_flows
from server.windows import flows as window_flows
from tests.factories import PASSWORD
from tests.monitoring.pages import CasesPage, RatePage
from tests.reports.generator import principals
from tests.terminals.conftest import PHONE, LiveServer, screenshot_path

pytestmark = pytest.mark.browser
# A word of Latin letters (a status or code left untranslated); ticket numbers are one letter.
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


def served(server: LiveServer, service: str = "YB01", window: str = "1",
           staff: str = "s1") -> str:
    """A ticket issued, called and finished at a window; its id."""
    core = server.core
    who = principals(core)
    t = ticket_flows.issue(core, hall="h1", service=service, actor=who["op"])
    window_flows.sign_in(core, hall="h1", window=window, post="A", actor=who[staff])
    window_flows.call_specific(core, hall="h1", window=window, number=t.number, actor=who[staff])
    window_flows.finish(core, hall="h1", window=window, outcome="completed", actor=who[staff])
    return t.id


def test_a_bad_review_from_rating_to_follow_up(server: LiveServer, browser: Browser) -> None:
    ticket_id = served(server)
    phone = RatePage(browser, server.url, PHONE).open(
        ticket_id, rating_key(ticket_id, server.core.settings.pepper))
    expect(phone.page.locator("#rate-number")).to_contain_text("B001 · 医保报销")
    phone.score(4)
    expect(phone.reasons).to_be_hidden()  # reasons are for 差评 only
    phone.score(1)
    expect(phone.reasons).to_be_visible()
    expect(phone.reasons.locator("label")).to_have_count(11)  # the evaluator's list
    expect(phone.page.locator('label[data-reason="2"]')).to_contain_text("等候时间长")
    phone.reason("2")
    phone.reason("1")
    phone.submit("排队一个多小时，窗口人员不耐烦")
    expect(phone.result).to_have_text("感谢您的评价！")
    phone.shot(screenshot_path("rate-bad-review"))
    assert phone.errors == [] and phone.foreign_requests() == []
    phone.close()

    token = auth.login(server.core, username="op", password=PASSWORD)
    cases = CasesPage(browser, server.url)
    cases.open("h1", token)
    row = cases.row("B001")
    expect(row).to_have_count(1)
    for text in ("医保报销", "1 号窗口", "员工1", "非常不满意", "服务态度差、等候时间长",
                 "排队一个多小时，窗口人员不耐烦", "剩 5 个工作日", "待核实"):
        expect(row).to_contain_text(text)
    assert not ENGLISH_WORD.search(row.inner_text())

    cases.handle("B001")
    expect(cases.page.locator("#case-said")).to_contain_text("服务态度差、等候时间长")
    expect(cases.page.locator("#step-title")).to_have_text("核实")
    cases.take_step("调取录像，情况属实")
    expect(row).to_contain_text("已核实")
    expect(cases.toast).to_have_text("已保存")
    cases.take_step("批评教育，重新培训")
    cases.take_step("电话告知处理结果")
    expect(cases.page.locator("#step-view")).to_be_visible()
    expect(cases.page.locator("#step-title")).to_have_text("回访")
    cases.take_step("回访：群众表示基本满意", citizen_view="basically_satisfied")
    expect(row).to_contain_text("已回访")
    expect(cases.steps).to_have_count(5)  # opened, then the four steps
    expect(cases.steps.nth(4)).to_contain_text("回访：群众表示基本满意 (值班长) · 基本满意")
    expect(cases.page.locator("#step-form")).to_be_hidden()
    expect(cases.page.locator("#rates")).to_contain_text("反馈率 100% · 整改率 100% · 回访率 100%")
    assert not ENGLISH_WORD.search(cases.page.locator("main").inner_text())
    cases.shot(screenshot_path("monitor-cases"))

    # the ticket's whole history is one click away
    cases.page.locator("#case-trail").click()
    expect(cases.page.locator("#history #h-title")).to_contain_text("B001 · 医保报销")
    expect(cases.page.locator('#h-entries tr[data-action="case_follow_up"]')).to_have_count(1)
    cases.page.go_back()
    cases.page.locator("#only-open").uncheck()  # a closed case is listed with all of them
    cases.handle("B001")

    cases.switch_language()
    expect(row).to_contain_text("followed up")
    expect(row).to_contain_text("Poor attitude, Long wait")
    expect(cases.steps.nth(4)).to_contain_text("basically satisfied")
    assert cases.dialogs == [] and cases.errors == []
    cases.close()


def test_an_appeal_is_approved_by_a_second_person_on_the_page(server: LiveServer,
                                                                browser: Browser) -> None:
    ticket_id = served(server, service="SB01", window="2", staff="s2")
    evaluations.record(server.core, ticket_id=ticket_id, channel="web",
                       key=rating_key(ticket_id, server.core.settings.pepper),
                       rating=RatingCreate(level=2, reasons=["99"], comment="随便点的"))
    first = CasesPage(browser, server.url)
    first.open("h1", auth.login(server.core, username="op", password=PASSWORD))
    first.handle("A001")
    first.appeal("群众误按，已电话确认")
    expect(first.toast).to_contain_text("待另一位负责人审批")
    first.approve("同意")  # the one who appealed may not approve it
    expect(first.toast).to_contain_text("操作失败")
    expect(first.row("A001")).to_contain_text("申诉待审批")
    first.close()

    second = CasesPage(browser, server.url)
    second.open("h1", auth.login(server.core, username="root", password=PASSWORD))
    second.handle("A001")
    expect(second.page.locator("#decide-what")).to_contain_text(
        "值班长 提出申诉：群众误按，已电话确认")
    second.approve("同意作废")
    expect(second.detail).to_have_attribute("data-status", "voided")
    expect(second.steps.last).to_contain_text("申诉作废：群众误按，已电话确认 (管理员)")
    assert second.dialogs == [] and second.errors == []
    second.close()
