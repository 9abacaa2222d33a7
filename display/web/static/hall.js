/* The hall screen (综合屏): the newest calls highlighted and blinking briefly, every
 * window's current number, waiting per service, a clock and the centre's name. */
"use strict";

(function () {
  const H = window.Hallq;
  const { hall } = H.where();
  const $ = (id) => document.getElementById(id);
  const BLINK_MS = 8000;
  const RECENT = 6;
  let services = {};
  let windows = [];
  let calls = [];
  let nextByWindow = {};  // 请 X 号准备 per window, when the hall shows it

  $("latest-title").textContent = HQ.t("screen.latest");
  $("th-service").textContent = HQ.t("screen.service");
  $("th-waiting").textContent = HQ.t("screen.waiting");
  const clock = H.makeClock(({ date, weekday, time }) => {
    $("clock-date").textContent = date;
    $("clock-weekday").textContent = weekday;
    $("clock-time").textContent = time;
  });

  function colourOf(code) {
    return services[code] ? services[code].colour : "#ffffff";
  }

  function renderCalls() {
    const latest = $("latest");
    latest.replaceChildren();
    const [first, ...rest] = calls;
    if (first) {
      const card = H.el("div", "latest-call");
      card.dataset.ticket = first.ticket;
      card.style.setProperty("--matter", colourOf(first.service));
      card.append(H.el("span", "lc-ticket", first.ticket), H.el("span", "lc-arrow", "→"),
                  H.el("span", "lc-window", HQ.t("screen.window", { n: first.window })));
      card.append(H.el("div", "lc-text", HQ.t("screen.call", { t: first.ticket, w: first.window })));
      if (first.fresh) card.classList.add("blink");
      latest.append(card);
    }
    const recent = $("recent");
    recent.replaceChildren();
    for (const c of rest.slice(0, RECENT - 1)) {
      const li = H.el("li", c.fresh ? "recent-call blink" : "recent-call");
      li.dataset.ticket = c.ticket;
      li.style.setProperty("--matter", colourOf(c.service));
      li.append(H.el("span", "rc-ticket", c.ticket), H.el("span", "rc-window",
                                                           HQ.t("screen.window", { n: c.window })));
      recent.append(li);
    }
  }

  // A big hall has more windows and services than fit readably: show them a page at a
  // time, turning every few seconds (?page_s=N).
  const WINDOWS_PER_PAGE = 24;
  const SERVICES_PER_PAGE = 14;
  const PAGE_MS = Math.max(1, Number(H.params.get("page_s")) || 10) * 1000;
  let page = 0;

  function pageOf(items, size) {
    const pages = Math.max(1, Math.ceil(items.length / size));
    const p = page % pages;
    return { items: items.slice(p * size, (p + 1) * size), p, pages };
  }

  function renderWindows() {
    const grid = $("windows");
    grid.replaceChildren();
    const { items, p, pages } = pageOf(windows, WINDOWS_PER_PAGE);
    for (const w of items) {
      const busy = (w.state === "called" || w.state === "serving") && w.ticket;
      const card = H.el("div", `window-card state-${w.state}`);
      card.dataset.window = w.number;
      if (busy) card.style.setProperty("--matter", colourOf(w.service));
      card.append(H.el("div", "wc-no", HQ.t("screen.window", { n: w.number })),
                  H.el("div", "wc-name", HQ.name(w) || w.name));
      // 欢迎光临 (staffed, free), 无人值守 (nobody signed in), 暂停服务 + reason, 窗口关闭.
      const text = busy ? w.ticket : w.state === "idle" ? HQ.t("screen.welcome")
        : HQ.has("screen." + w.state) ? HQ.t("screen." + w.state) : HQ.t("screen.paused");
      card.append(H.el("div", busy ? "wc-ticket" : "wc-ticket wc-idle", text));
      if (busy) card.append(H.el("div", "wc-label", w.state === "called" ? HQ.t("screen.called") : HQ.t("screen.serving")));
      else if (w.state === "paused" && w.paused_reason) card.append(H.el("div", "wc-reason", HQ.reason(w.paused_reason)));
      const next = nextByWindow[w.number];
      if (next && !["closed", "empty"].includes(w.state)) card.append(H.el("div", "wc-next", HQ.t("screen.next", { t: next })));
      grid.append(card);
    }
    // Big enough to read from ten metres whatever the number of windows.
    const cols = Math.max(2, Math.min(6, Math.ceil(Math.sqrt(items.length * 1.6))));
    const rows = Math.max(2, Math.ceil(items.length / cols));
    grid.style.setProperty("--cols", String(cols));
    grid.style.setProperty("--scale", String(Math.min(1, 2.6 / rows)));
    $("windows-page").textContent = pages > 1 ? `${p + 1} / ${pages}` : "";
  }

  function renderWaiting() {
    const body = $("waiting");
    body.replaceChildren();
    const { items, p, pages } = pageOf(Object.values(services), SERVICES_PER_PAGE);
    for (const s of items) {
      const tr = H.el("tr");
      tr.dataset.service = s.code;
      const name = H.el("td", "ws-name", HQ.name(s));
      name.style.setProperty("--matter", s.colour);
      tr.append(name, H.el("td", "ws-count", HQ.t("screen.people", { n: s.waiting || 0 })));
      body.append(tr);
    }
    $("services-page").textContent = pages > 1 ? `${p + 1} / ${pages}` : "";
  }

  setInterval(() => {
    if (windows.length <= WINDOWS_PER_PAGE &&
        Object.keys(services).length <= SERVICES_PER_PAGE) return;
    page += 1;
    renderWindows();
    renderWaiting();
  }, PAGE_MS);

  function onCall(ev) {
    const entry = { ...ev, fresh: true };
    calls = [entry, ...calls.filter((c) => !(c.ticket === ev.ticket && c.window === ev.window))]
      .slice(0, 12);
    setTimeout(() => { entry.fresh = false; renderCalls(); }, BLINK_MS);
    renderCalls();
    window.HallqVoice.announce(hall, ev);
  }

  // An unknown hall or window says so (with the way back) instead of reconnecting for ever.
  HQ.checkHall(hall).then((known) => { if (known !== false) start(); });

  function start() { H.connect({
    hall,
    onStatus(ok, why) { $("offline").hidden = ok; $("offline").textContent = why || HQ.t("screen.offline"); },
    onSnapshot(snap) {
      services = H.serviceIndex(snap.services || []);
      windows = snap.windows || [];
      calls = (snap.calls || []).map((c) => ({ ...c, fresh: false }));
      nextByWindow = snap.next || {};
      $("hall-name").textContent = HQ.name(snap, "hall_name") || hall;
      document.title = HQ.name(snap, "hall_name") || hall;
      H.setMarquee($("marquee"), snap.scroll_text);
      clock.sync(snap.at, snap.timezone);
      renderCalls();
      renderWindows();
      renderWaiting();
    },
    onEvent(ev) {
      if (ev.type === "call") {
        onCall(ev);
      } else if (ev.type === "window") {
        const i = windows.findIndex((w) => w.number === ev.number);
        if (i >= 0) windows[i] = ev; else windows.push(ev);
        renderWindows();
      } else if (ev.type === "next") {
        nextByWindow = ev.windows || {};
        renderWindows();
      } else if (ev.type === "queue") {
        for (const [code, n] of Object.entries(ev.waiting || {})) {
          if (services[code]) services[code].waiting = n;
        }
        renderWaiting();
      } else if (ev.type === "hall") {
        if (ev.hall_name) $("hall-name").textContent = HQ.name(ev, "hall_name");
        H.setMarquee($("marquee"), ev.scroll_text);
      }
    },
  }); }
})();
