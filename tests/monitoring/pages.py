"""Page objects for the operator's 差评 cases, presence board and audit trail, and the
citizen's rating page. Tests say what a person does; the selectors live here."""

from __future__ import annotations

from playwright.sync_api import Browser, Dialog, Locator, ViewportSize, expect

from tests.terminals.pages import Terminal

DESK: ViewportSize = {"width": 1440, "height": 1000}


class OperatorPage(Terminal):
    """A monitoring page opened with an operator's token; no browser dialog may appear."""

    name = ""

    def __init__(self, browser: Browser, base: str, viewport: ViewportSize = DESK) -> None:
        super().__init__(browser, base, viewport)
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, hall: str, token: str, **query: str) -> None:
        """Open the page signed in."""
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        self.page.goto(f"{self.base}/monitor/{hall}/{self.name}?token={token}{extra}")
        expect(self.page.locator("#hall-name")).not_to_have_text("—")

    def switch_language(self) -> None:
        """Tap the language toggle."""
        self.page.locator("#lang").click()

    @property
    def toast(self) -> Locator:
        """The message after an action."""
        return self.page.locator("#toast")


class CasesPage(OperatorPage):
    """差评处置: the list of cases and one case's forms."""

    name = "cases"

    def row(self, ticket: str) -> Locator:
        """The list's row of a ticket number."""
        return self.page.locator("#cases tbody tr").filter(
            has=self.page.locator("td.tk", has_text=ticket))

    def handle(self, ticket: str) -> None:
        """Open a case from the list."""
        self.row(ticket).locator("button.open-case").click()
        expect(self.detail).to_be_visible()

    @property
    def detail(self) -> Locator:
        """The open case's panel."""
        return self.page.locator("#case-detail")

    @property
    def steps(self) -> Locator:
        """The steps taken, oldest first."""
        return self.page.locator("#case-steps li")

    def take_step(self, note: str, citizen_view: str | None = None) -> None:
        """Fill the next step's form and save it."""
        before = self.detail.get_attribute("data-status")
        self.page.locator("#step-note").fill(note)
        if citizen_view:
            self.page.locator(f'input[name=view][value="{citizen_view}"]').check()
        self.page.locator("#step-ok").click()
        expect(self.detail).not_to_have_attribute("data-status", before or "")

    def appeal(self, reason: str) -> None:
        """申诉: ask for the review to be voided."""
        self.page.locator("#appeal-reason").fill(reason)
        self.page.locator("#appeal-ok").click()
        expect(self.detail).to_have_attribute("data-status", "appealing")

    def approve(self, note: str) -> None:
        """Approve the appeal (as the second person)."""
        self.page.locator("#decide-note").fill(note)
        self.page.locator("#approve").click()


class PresenceBoard(OperatorPage):
    """去向牌 and AB岗: every staff member's sign and each window's posts."""

    name = "presence"

    def person(self, job_no: str) -> Locator:
        """A staff member's row."""
        return self.page.locator(f'#people tr[data-staff="{job_no}"]')

    def set_sign(self, job_no: str, presence: str, note: str = "") -> None:
        """Set someone's 去向牌."""
        row = self.person(job_no)
        row.locator("select.pick").select_option(presence)
        row.locator("input.note").fill(note)
        row.locator("button.set").click()
        expect(row.locator(f'.sign[data-presence="{presence}"]')).to_be_visible()

    def posts(self, window: str) -> Locator:
        """A window's row of A and B posts."""
        return self.page.locator(f'#posts tr[data-window="{window}"]')

    def count(self, presence: str) -> Locator:
        """The number of staff with a sign."""
        return self.page.locator(f"#count-{presence} b")


class AuditPage(OperatorPage):
    """操作日志: search, export, a ticket's history."""

    name = "audit"

    def search(self, *, staff: str = "", window: str = "", ticket: str = "",
               action: str = "") -> None:
        """Fill the filters and search."""
        self.page.locator("#a-staff").fill(staff)
        self.page.locator("#a-window").fill(window)
        self.page.locator("#a-ticket").fill(ticket)
        self.page.locator("#a-action").select_option(action)
        self.page.locator("#audit-form button[type=submit]").click()

    @property
    def rows(self) -> Locator:
        """The entries found."""
        return self.page.locator("#entries tbody tr")

    @property
    def summary(self) -> Locator:
        """How many were found."""
        return self.page.locator("#a-summary")

    def open_history(self, ticket: str) -> None:
        """Click a ticket number in the list."""
        self.page.locator("#entries a.tk-link", has_text=ticket).first.click()
        expect(self.page.locator("#history")).to_be_visible()

    @property
    def history(self) -> Locator:
        """The ticket's history panel."""
        return self.page.locator("#history")

    def download(self, fmt: str) -> bytes:
        """Export the search and return the file's bytes."""
        with self.page.expect_download() as info:
            self.page.locator(f"#a-{fmt}").click()
        path = info.value.path()
        with open(path, "rb") as f:
            return f.read()


class RatePage(Terminal):
    """The citizen's rating page (/t/{id}/rate) on a phone."""

    def open(self, ticket_id: str, key: str) -> RatePage:
        """Open the rating page of a ticket, as its holder (with its rating key)."""
        self.page.goto(f"{self.base}/t/{ticket_id}/rate?k={key}")
        expect(self.page.locator("#rate-number")).not_to_be_empty()
        return self

    def score(self, level: int) -> None:
        """Tap a level, 5 非常满意 … 1 非常不满意."""
        self.page.locator(f'#scores button[data-score="{level}"]').click()

    @property
    def reasons(self) -> Locator:
        """The 差评 reasons box."""
        return self.page.locator("#reasons")

    def reason(self, code: str) -> None:
        """Tick one reason."""
        self.page.locator(f'label[data-reason="{code}"] input').check()

    def submit(self, comment: str = "") -> None:
        """Write a comment and send."""
        self.page.locator("#comment").fill(comment)
        self.page.locator("#submit").click()

    @property
    def result(self) -> Locator:
        """The answer line."""
        return self.page.locator("#result")
