"""Page objects for the kiosk, the counter terminal and the citizen's ticket page.

Tests speak in what a person does ("take a ticket for 社保卡"); the selectors live here.
"""

from __future__ import annotations

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Request,
    Response,
    ViewportSize,
    expect,
)


class Terminal:
    """A page in its own browser context that records every request it makes."""

    def __init__(self, browser: Browser, base: str, viewport: ViewportSize) -> None:
        self.base = base
        self.context: BrowserContext = browser.new_context(viewport=viewport)
        self.page: Page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", self._request)
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.on("response", self._response)

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _response(self, response: Response) -> None:
        # API refusals are part of the tests; a page's own file must never be missing.
        if response.status >= 400 and "/api/" not in response.url:
            self.errors.append(f"{response.status} {response.url}")

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but the core (none allowed: the hall may be offline)."""
        local = (self.base, self.base.replace("http://", "ws://"), "data:", "blob:")
        return [u for u in self.requests if not u.startswith(local)]

    def shot(self, path: str) -> None:
        """Save a screenshot of the whole page."""
        self.page.screenshot(path=path, full_page=False)

    def close(self) -> None:
        """Close the browser context."""
        self.context.close()


class KioskPage(Terminal):
    """The ticket kiosk (取号机)."""

    def open(self, hall: str, token: str, **query: str) -> KioskPage:
        """Open the kiosk page with its device token."""
        extra = "".join(f"&{k}={v}" for k, v in query.items())
        self.page.goto(f"{self.base}/kiosk/{hall}?token={token}{extra}")
        expect(self.page.locator("#screen-home")).to_be_visible()
        return self

    def service_tile(self, code: str) -> Locator:
        """A service's button (after its domain is open)."""
        return self.page.locator(f'button[data-service="{code}"]')

    def open_domain(self, domain: str) -> None:
        """Tap a domain tile (first level)."""
        self.page.locator(f'button[data-domain="{domain}"]').click()

    def take(self, domain: str, service: str) -> None:
        """Tap a domain, then a service."""
        self.open_domain(domain)
        self.service_tile(service).click()

    def green(self, reason: str = "elderly") -> None:
        """Tap 绿色通道 and pick the category."""
        self.page.locator("#btn-green").click()
        self.page.locator(f'#green-reasons button[data-reason="{reason}"]').click()

    def check_in_typed(self, code: str) -> None:
        """Open 预约签到 and type the booking code on the on-screen keypad."""
        self.page.locator("#btn-checkin").click()
        for ch in code:
            self.page.locator(f'#code-keypad button[data-key="{ch}"]').click()
        self.page.locator("#checkin-ok").click()

    def scan(self, code: str) -> None:
        """A keyboard-wedge scanner: the code typed in milliseconds, then Enter."""
        self.page.keyboard.type(code, delay=5)
        self.page.keyboard.press("Enter")

    def type_id_number(self, id_number: str) -> None:
        """Type an ID number on the on-screen keypad and confirm."""
        for ch in id_number:
            self.page.locator(f'#id-keypad button[data-key="{ch}"]').click()
        self.page.locator("#id-ok").click()

    def care_mode(self) -> None:
        """Switch to 关怀版."""
        self.page.locator("#care").click()

    def switch_language(self) -> None:
        """Tap the language toggle."""
        self.page.locator("#lang").click()

    @property
    def number(self) -> Locator:
        """The huge ticket number after issuing."""
        return self.page.locator("#t-number")

    @property
    def ahead(self) -> Locator:
        """How many are ahead, after issuing."""
        return self.page.locator("#t-ahead")

    @property
    def print_status(self) -> Locator:
        """The print status line after issuing."""
        return self.page.locator("#t-print")

    @property
    def qr(self) -> Locator:
        """The QR code image after issuing."""
        return self.page.locator("#t-qr")

    @property
    def toast(self) -> Locator:
        """The error or info message."""
        return self.page.locator("#toast")

    def ticket_id(self) -> str:
        """The issued ticket's id."""
        return str(self.page.locator("#screen-ticket").get_attribute("data-ticket"))

    def expect_ticket_screen(self) -> None:
        """The ticket screen is showing."""
        expect(self.page.locator("#screen-ticket")).to_be_visible()

    def expect_home(self, timeout: float = 5000) -> None:
        """The start screen is showing."""
        expect(self.page.locator("#screen-home")).to_be_visible(timeout=timeout)


class CounterPage(Terminal):
    """The counter terminal (叫号终端)."""

    def open(self, hall: str) -> CounterPage:
        """Open the counter page at the login form."""
        self.page.goto(f"{self.base}/counter/{hall}")
        return self

    def log_in(self, job_no: str, password: str) -> None:
        """Log in with job number and password."""
        self.page.locator("#job-no").fill(job_no)
        self.page.locator("#password").fill(password)
        self.page.locator("#login-btn").click()
        expect(self.page.locator("#view-choose")).to_be_visible()

    def scan_badge(self, code: str) -> None:
        """A badge reader (keyboard wedge): the code typed in a burst, then Enter."""
        self.page.locator("#job-no").focus()
        self.page.keyboard.type(code, delay=5)
        self.page.keyboard.press("Enter")

    def sign_in(self, window: str, post: str = "A") -> None:
        """Pick the post, then the window."""
        self.page.locator(f'input[name=post][value="{post}"]').check()
        self.page.locator(f'button[data-window="{window}"]').click()
        expect(self.page.locator("#view-desk")).to_be_visible()

    def take_over(self, window: str, post: str = "B") -> None:
        """Pick the post, then a window someone else works, and confirm the takeover."""
        self.page.locator(f'input[name=post][value="{post}"]').check()
        self.page.locator(f'button[data-window="{window}"]').click()
        expect(self.page.locator("#dlg")).to_have_attribute("data-kind", "dlg.takeover")
        self.confirm()
        expect(self.page.locator("#view-desk")).to_be_visible()

    @property
    def dialog(self) -> Locator:
        """The open dialog (its data-kind names it)."""
        return self.page.locator("#dlg")

    @property
    def dialog_text(self) -> Locator:
        """The question a confirmation dialog asks."""
        return self.page.locator("#dlg-text")

    def confirm(self) -> None:
        """Answer yes to the open dialog."""
        self.page.locator("#dlg-ok").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    def cancel(self) -> None:
        """Answer no to the open dialog."""
        self.page.locator("#dlg-cancel").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    def sign_out(self) -> None:
        """签退窗口 and confirm."""
        self.page.locator("#signout").click()
        expect(self.dialog).to_have_attribute("data-kind", "dlg.close")
        self.confirm()
        expect(self.page.locator("#view-choose")).to_be_visible()

    @property
    def details(self) -> Locator:
        """The called ticket's history and note lines."""
        return self.page.locator("#cur-details li")

    @property
    def meta(self) -> Locator:
        """The called ticket's tags (绿色通道 category, booked slot, recalls)."""
        return self.page.locator("#cur-meta")

    @property
    def taken_over(self) -> Locator:
        """The banner telling a staff member who took their window over."""
        return self.page.locator("#taken-over")

    def button(self, act: str) -> Locator:
        """One of the big buttons by its action."""
        return self.page.locator(f'.act[data-act="{act}"]')

    def press(self, act: str) -> None:
        """Click a big button."""
        self.button(act).click()

    def key(self, key: str) -> None:
        """Press a keyboard shortcut (F1 …)."""
        self.page.keyboard.press(key)

    def finish(self, outcome: str = "completed", note: str = "",
               missing: tuple[str, ...] = (), missing_other: str = "") -> None:
        """办结 with an outcome; a 补正告知 ticks the missing materials and adds free text."""
        self.press("finish")
        self.page.locator(f'input[name=outcome][value="{outcome}"]').check()
        for material in missing:
            self.page.locator(f'input[name=missing][value="{material}"]').check()
        if missing_other:
            self.page.locator("#f-missing-other").fill(missing_other)
        if note:
            self.page.locator("#f-note").fill(note)
        self.page.locator("#dlg-ok").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    def transfer_to_service(self, code: str, note: str = "") -> None:
        """转移 to another service with a note."""
        self.press("transfer")
        self.page.locator("#x-service").select_option(code)
        self.page.locator("#x-note").fill(note)
        self.page.locator("#dlg-ok").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    def pause(self, reason: str = "rest") -> None:
        """暂停 with a reason."""
        self.press("pause")
        self.page.locator(f'input[name=reason][value="{reason}"]').check()
        self.page.locator("#dlg-ok").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    def call_number(self, number: str) -> None:
        """指定呼叫."""
        self.press("call")
        self.page.locator("#c-number").fill(number)
        self.page.locator("#dlg-ok").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    @property
    def current_number(self) -> Locator:
        """The number of the ticket in hand."""
        return self.page.locator("#cur-number")

    @property
    def current(self) -> Locator:
        """The current-ticket panel (its data-status is the ticket's status)."""
        return self.page.locator("#current")

    @property
    def queue(self) -> Locator:
        """The waiting list's entries."""
        return self.page.locator("#queue li")

    def stat(self, key: str) -> Locator:
        """One of today's counts (today.served …)."""
        return self.page.locator(f'.c-stat[data-stat="{key}"] strong')

    @property
    def alarm(self) -> Locator:
        """The 空岗 warning banner."""
        return self.page.locator("#alarm")

    @property
    def toast(self) -> Locator:
        """The error or info message."""
        return self.page.locator("#toast")


class TicketPage(Terminal):
    """The citizen's ticket page on a phone (/t/{id})."""

    def open(self, ticket_id: str, key: str | None = None) -> TicketPage:
        """Open the page of one ticket (as its holder, with its rating key, when given)."""
        self.page.goto(f"{self.base}/t/{ticket_id}" + (f"?k={key}" if key else ""))
        expect(self.page.locator("#card")).to_be_visible()
        return self

    @property
    def status(self) -> Locator:
        """The status line."""
        return self.page.locator("#status")

    @property
    def number(self) -> Locator:
        """The ticket number."""
        return self.page.locator("#number")

    @property
    def centre(self) -> Locator:
        """The header: the centre's name."""
        return self.page.locator("#centre")

    @property
    def ahead(self) -> Locator:
        """How many are ahead."""
        return self.page.locator("#ahead")

    @property
    def window(self) -> Locator:
        """The window to go to, once called."""
        return self.page.locator("#window")

    @property
    def rate_link(self) -> Locator:
        """The link to rate the service, once done."""
        return self.page.locator("#rate")

    def vibrations(self) -> int:
        """How many times the page asked the phone to vibrate."""
        return int(self.page.evaluate("window.__vibrations || 0"))

    def record_vibrations(self) -> None:
        """Count navigator.vibrate calls (Chromium has no vibration motor)."""
        self.page.add_init_script(
            "window.__vibrations = 0; navigator.vibrate = () => { window.__vibrations++; "
            "return true; };")


class PhonePage(Terminal):
    """The phone page (线上取号, /p/{hall}): choose, give a number, ask for a reminder."""

    def open(self, hall: str, **query: str) -> PhonePage:
        """Open the hall's phone page (as from the QR code at its door)."""
        extra = "&".join(f"{k}={v}" for k, v in query.items())
        self.page.goto(f"{self.base}/p/{hall}" + (f"?{extra}" if extra else ""))
        return self

    def service(self, code: str) -> Locator:
        """The button of one service."""
        return self.page.locator(f'.ph-service[data-service="{code}"]')

    def take(self, code: str, phone: str, notice: str = "none", ahead: int | None = None) -> None:
        """Choose a service, type the number, pick the reminder, and take a number."""
        self.service(code).click()
        self.page.locator("#phone").fill(phone)
        self.page.locator(f'input[name=notice][value="{notice}"]').check()
        if ahead is not None:
            self.page.locator("#ahead").select_option(str(ahead))
        self.page.locator("#take").click()

    @property
    def error(self) -> Locator:
        """The form's error line."""
        return self.page.locator("#error")

    @property
    def closed(self) -> Locator:
        """The message shown when the hall gives no numbers online now."""
        return self.page.locator("#closed-text")

    # Once a number is taken the phone is on the ticket's own page (/t/{id}).
    @property
    def number(self) -> Locator:
        """The ticket number on the ticket page."""
        return self.page.locator("#number")

    @property
    def ahead(self) -> Locator:
        """How many are ahead, on the ticket page."""
        return self.page.locator("#ahead")

    @property
    def window(self) -> Locator:
        """The window called to, on the ticket page."""
        return self.page.locator("#window")

    def switch_language(self) -> None:
        """Tap the language toggle."""
        self.page.locator("#lang").click()


class BookingPage(Terminal):
    """The citizen's booking page (预约办事) on a phone."""

    def open(self, hall: str, **query: str) -> BookingPage:
        """Load /book/{hall}."""
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        self.page.goto(f"{self.base}/book/{hall}" + (f"?{qs}" if qs else ""))
        return self

    def choose(self, service: str) -> None:
        """Pick a service."""
        self.page.locator(f"button[data-service='{service}']").click()

    def day(self, iso: str) -> Locator:
        """A day's button in the day strip."""
        return self.page.locator(f"#days button[data-day='{iso}']")

    def slot(self, start: str) -> Locator:
        """A slot's button."""
        return self.page.locator(f".bk-slot[data-start='{start}']")

    def book(self, *, id_number: str = "", phone: str = "") -> None:
        """Fill the form and confirm."""
        self.page.locator("#id-number").fill(id_number)
        self.page.locator("#phone").fill(phone)
        self.page.locator("#submit").click()

    @property
    def code(self) -> Locator:
        """The booking code shown after booking."""
        return self.page.locator("#code")

    def my_bookings(self, who: str) -> None:
        """Open 我的预约 and look up by ID or mobile number."""
        self.page.locator("#tab-mine").click()
        self.page.locator("#mine-id").fill(who)
        self.page.locator("#mine-go").click()

    def item(self, code: str) -> Locator:
        """One booking in 我的预约."""
        return self.page.locator(f".bk-item[data-code='{code}']")


class DeskPage(Terminal):
    """The help desk (综合咨询服务台, /desk/{hall})."""

    def open(self, hall: str) -> DeskPage:
        """Open the desk page at its login form."""
        self.page.goto(f"{self.base}/desk/{hall}")
        return self

    def log_in(self, job_no: str, password: str) -> None:
        """Log in with job number and password."""
        self.page.locator("#job-no").fill(job_no)
        self.page.locator("#password").fill(password)
        self.page.locator("#login-btn").click()
        expect(self.page.locator("#view-desk")).to_be_visible()

    def tab(self, name: str) -> None:
        """Open a tab: issue, booking, lookup or guide."""
        self.page.locator(f'.d-tab[data-tab="{name}"]').click()

    def issue(self, service: str, green: str | None = None, id_number: str = "") -> None:
        """代为取号 for a citizen: a service, 绿色通道 with its category, an ID number."""
        self.tab("issue")
        self.page.locator("#i-service").select_option(service)
        if green:
            self.page.locator('input[name=priority][value="green"]').check()
            self.page.locator("#i-category").select_option(green)
        else:
            self.page.locator('input[name=priority][value="normal"]').check()
        self.page.locator("#i-id").fill(id_number)
        self.page.locator("#i-go").click()

    def find_booking(self, by: str, value: str) -> None:
        """Look bookings up by code, id_number or phone."""
        self.tab("booking")
        self.page.locator("#b-by").select_option(by)
        self.page.locator("#b-value").fill(value)
        self.page.locator("#b-go").click()

    def check_in(self, code: str) -> None:
        """签到 a found booking."""
        self.page.locator(f'[data-check-in="{code}"]').click()

    def look_up(self, number: str) -> None:
        """Find today's ticket by its number."""
        self.tab("lookup")
        self.page.locator("#l-number").fill(number)
        self.page.locator("#l-go").click()
        expect(self.page.locator("#l-ticket-number")).to_have_text(number.upper())

    def do(self, action: str) -> Locator:
        """An action on the found ticket: requeue, reprint, reissue, notice, cancel."""
        return self.page.locator(f'[data-do="{action}"]')

    def confirm(self) -> None:
        """Answer yes to the open dialog."""
        self.page.locator("#dlg-ok").click()
        expect(self.page.locator("#dlg")).to_be_hidden()

    def print_guide(self, service: str) -> None:
        """Print a service's 办事指南."""
        self.tab("guide")
        self.page.locator("#g-service").select_option(service)
        self.page.locator("#g-print").click()

    @property
    def result_title(self) -> Locator:
        """What the last action did."""
        return self.page.locator("#result-title")

    @property
    def result_number(self) -> Locator:
        """The number the last action gave (large, to read out)."""
        return self.page.locator("#result-number")

    @property
    def result_text(self) -> Locator:
        """The line under it (service, place, print state)."""
        return self.page.locator("#result-text")

    @property
    def status(self) -> Locator:
        """The found ticket's status."""
        return self.page.locator("#l-status")

    @property
    def history(self) -> Locator:
        """The found ticket's steps."""
        return self.page.locator("#l-history li")

    @property
    def materials(self) -> Locator:
        """The 办事指南's materials of the chosen service."""
        return self.page.locator("#g-materials li")

    @property
    def toast(self) -> Locator:
        """The error or info message."""
        return self.page.locator("#toast")
