/* The operator's dashboard: the hall now, the day so far, alerts, charts, live over a websocket. */
(function () {
  "use strict";
  const { HALL, params, t, el, api, start, minutes } = HQM.common;
  const BELOW = params.get("below") === "1";
  let data = null, socket = null, refreshTimer = null, charts = {};

  /** An average duration with its unit (分钟 / min), or 无数据. */
  function mins(s) { return s === null || s === undefined ? t("no_data") : t("unit.min", { n: minutes(s) }); }
  function fmtMin(s) { return s === null || s === undefined ? "—" : t("for", { m: Math.floor(s / 60) }); }

  function alertText(a) { return t("alert." + a.kind, Object.assign({}, a.detail, { reason: HQ.reason(a.detail.reason),
    windows: (a.detail.windows || []).join(","), helpers: (a.detail.helpers || []).join(",") || "—" })); }

  function renderToday(h) {
    const d = h.today;
    const cards = [["issued", d.issued], ["served", d.served], ["no_show", d.no_show], ["waiting", d.waiting],
      ["avg_wait", mins(d.wait_avg_s)], ["avg_handle", mins(d.handle_avg_s)],
      ["rated", d.rated], ["satisfaction", HQM.pct(d.satisfaction)],
      ["bad", d.bad]];
    document.getElementById("today").replaceChildren(...cards.map(([k, v]) =>
      el("div", { class: "card", id: "today-" + k }, el("b", {}, v), el("span", {}, t(k)))));
  }

  function renderWindows(h) {
    document.getElementById("windows").replaceChildren(...h.windows.map((w) =>
      el("div", { class: "win", "data-state": w.state, id: "win-" + w.number },
        el("div", {}, el("span", { class: "no" }, w.number), " ", el("span", { class: "muted" }, HQ.name(w))),
        el("div", { class: "tk" }, w.ticket || ""),
        el("div", {}, t("state." + w.state), w.paused_reason ? " · " + HQ.reason(w.paused_reason) : "", " ",
          el("span", { class: "muted" }, fmtMin(w.for_s))),
        el("div", { class: "muted" }, w.staff ? w.staff + " · " + t("post", { p: w.post || "A" }) : ""),
        w.moved_to ? el("div", { class: "muted" }, t("moved", { s: w.moved_to.join(",") })) : null)));
    const sel = document.getElementById("win-no");
    const keep = sel.value;
    sel.replaceChildren(...h.windows.map((w) => el("option", { value: w.number }, w.number + " " + HQ.name(w))));
    if (keep) sel.value = keep;
    const ms = document.getElementById("move-services");
    if (!ms.options.length) ms.replaceChildren(...h.services.map((s) => el("option", { value: s.code }, s.code + " " + HQ.name(s))));
  }

  function renderAlerts(h) {
    const list = h.alerts.slice(0, 30);
    const ul = document.getElementById("alerts");
    if (!list.length) { ul.replaceChildren(el("li", { class: "muted" }, t("alerts.none"))); return; }
    ul.replaceChildren(...list.map((a) => el("li", { "data-severity": a.severity, "data-kind": a.kind,
        class: a.active ? "active" : "resolved" },
      el("span", { class: "muted" }, (a.raised_at || "").slice(11, 16)),
      el("span", { class: "msg" }, alertText(a)),
      a.active ? (a.acknowledged_at ? el("span", { class: "muted" }, "✓")
        : el("button", { type: "button", onclick: () => act(() => api(`/api/v1/halls/${HALL}/monitor/alerts/${a.id}/ack`, { method: "POST" })) }, t("ack")))
        : el("span", { class: "muted" }, t("resolved")))));
  }

  function renderServices(h) {
    document.querySelector("#services tbody").replaceChildren(...h.services.map((s) =>
      el("tr", {}, el("td", {}, s.code + " " + HQ.name(s)), el("td", { class: "num" }, s.waiting),
        el("td", { class: "num" }, fmtMin(s.longest_wait_s)))));
    const c = h.cases;
    document.getElementById("cases-summary").textContent = t("cases.open", { n: c.open, o: c.overdue }) + " · " +
      HQM.rates(c.month);
  }

  function chart(id, title, today, usual) {
    if (!window.echarts) return;
    const node = document.getElementById(id);
    charts[id] = charts[id] || echarts.init(node, "dark", { renderer: "canvas" });
    const hours = [...Array(24).keys()].map((h) => h + ":00");
    // Show the working day, widened to any hour with data (a 24-hour hall, evening service).
    const used = today.map((v, i) => (v || usual[i] ? i : null)).filter((i) => i !== null);
    const lo = Math.min(7, ...used), hi = Math.max(19, ...used) + 1;
    charts[id].setOption({
      backgroundColor: "transparent", animation: false, title: { text: title, left: 0, textStyle: { fontSize: 13 } },
      tooltip: { trigger: "axis" }, legend: { data: [t("chart.today"), t("chart.usual")], top: 0, right: 0 },
      grid: { left: 40, right: 10, top: 40, bottom: 24 },
      xAxis: { type: "category", data: hours.slice(lo, hi) }, yAxis: { type: "value" },
      series: [{ name: t("chart.today"), type: "bar", data: today.slice(lo, hi) },
               { name: t("chart.usual"), type: "line", smooth: true, data: usual.slice(lo, hi) }],
    }, true);
  }

  function renderCharts(h) {
    const m = (xs) => xs.map((x) => (x === null ? null : +(x / 60).toFixed(1)));
    chart("chart-arrivals", t("chart.arrivals"), h.hourly.arrivals, h.hourly.usual_arrivals);
    chart("chart-waits", t("chart.waits"), m(h.hourly.waits), m(h.hourly.usual_waits));
  }

  function renderCentre(all) {
    const box = document.getElementById("centre");
    box.hidden = all.length < 2;
    document.getElementById("centre-grid").replaceChildren(...all.map((h) => {
      const waiting = h.services.reduce((n, s) => n + s.waiting, 0);
      const active = h.alerts.filter((a) => a.active).length;
      const staffed = h.windows.filter((w) => !["closed", "empty"].includes(w.state)).length;
      return el("div", { class: "hallcard", "data-hall": h.hall },
        el("h3", {}, el("a", { href: "/monitor/" + h.hall }, HQ.name(h, "hall_name"))),
        el("div", {}, t("waiting") + " " + waiting + " · " + t("served") + " " + h.today.served),
        el("div", { class: "muted" }, t("windows") + " " + staffed + "/" + h.windows.length + " · " + t("alerts") + " " + active),
        el("div", { class: "muted" }, HQM.rates(h.cases.month)));
    }));
  }

  function render() {
    if (!data) return;
    const h = data.halls[0];
    document.getElementById("hall-name").textContent = HQ.name(h, "hall_name");
    document.getElementById("clock").textContent = (data.at || "").slice(0, 16).replace("T", " ");
    if (document.activeElement !== document.getElementById("scroll-text")) document.getElementById("scroll-text").value = h.scroll_text || "";
    document.getElementById("calls").replaceChildren(...(h.calls || []).map((c) =>
      el("li", { "data-ticket": c.ticket }, (c.at || "").slice(11, 19) + " " + t("call", c))));
    renderToday(h); renderWindows(h); renderAlerts(h); renderServices(h); renderCharts(h); renderCentre(data.halls);
  }

  async function load() {
    try {
      data = await api(`/api/v1/halls/${encodeURIComponent(HALL)}/monitor${BELOW ? "?below=true" : ""}`);
      render();
      connect();
    } catch (e) {
      if (e.status === 403) HQM.common.showLogin(t("forbidden"));
      else if (e.status !== 401) HQ.showError(e);
    }
  }

  function refreshSoon(ms) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(load, ms === undefined ? 700 : ms);
  }

  function toast(text) {
    const box = document.getElementById("toast");
    box.textContent = text; box.hidden = false;
    setTimeout(() => { box.hidden = true; }, 6000);
  }

  function onEvent(ev) {
    if (ev.type === "call") {
      const li = el("li", { "data-ticket": ev.ticket }, (ev.at || "").slice(11, 19) + " " + t("call", ev));
      document.getElementById("calls").prepend(li);
      const card = document.getElementById("win-" + ev.window);
      if (card) {
        card.querySelector(".tk").textContent = ev.ticket;
        card.dataset.state = "called";
        card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash");
      }
    } else if (ev.type === "alert" && ev.active) {
      toast(alertText(ev));
    } else if (ev.type === "case" && ev.status === "open") {
      toast(t("alert.bad_review", { ticket: ev.ticket, window: ev.window, level: ev.level }));
    }
    if (["call", "ticket", "window", "queue", "alert", "case", "device", "rating", "hall", "scroll",
         "window_services", "ticket_issued"].includes(ev.type)) refreshSoon();
  }

  function connect() {
    if (socket) return;
    socket = HQ.socket({
      url: () => `/ws/halls/${encodeURIComponent(HALL)}/monitor?token=${encodeURIComponent(HQM.common.token())}`,
      min: 1000, max: 15000, onMessage: onEvent,
      onOpen() { document.getElementById("offline").hidden = true;
        document.getElementById("status").textContent = "● " + t("live"); },
      onClose() { document.getElementById("offline").hidden = false;
        document.getElementById("status").textContent = ""; },
    });
  }

  async function act(fn) {
    // An action may say what it did (re-issue: the new number); else plain "done".
    try { const said = await fn(); toast(typeof said === "string" ? said : t("done")); refreshSoon(0); }
    catch (e) { toast(t("failed", { d: HQ.errorText(e) })); }
  }

  async function ticketId() {
    const no = document.getElementById("ticket-no").value.trim();
    return (await api(`/api/v1/halls/${HALL}/monitor/tickets/by-number/${encodeURIComponent(no)}`)).id;
  }

  function wire() {
    const base = `/api/v1/halls/${encodeURIComponent(HALL)}/monitor`;
    document.getElementById("scroll-form").addEventListener("submit", (e) => { e.preventDefault();
      act(() => api(base + "/scroll", { method: "PUT", json: { text: document.getElementById("scroll-text").value } })); });
    document.getElementById("btn-cancel").onclick = () => act(async () => api(`${base}/tickets/${await ticketId()}/cancel`,
      { method: "POST", json: { reason: document.getElementById("ticket-reason").value || "operator" } }));
    document.getElementById("btn-reissue").onclick = () => act(async () => {
      const r = await api(`${base}/tickets/${await ticketId()}/reissue`, { method: "POST", json: {} });
      return t("reissued", { n: r.ticket.number });  // 重新取号 tells the new number
    });
    const win = () => encodeURIComponent(document.getElementById("win-no").value);
    document.getElementById("btn-open").onclick = () => act(() => api(`${base}/windows/${win()}/open`, { method: "POST" }));
    document.getElementById("btn-close").onclick = () => act(() => api(`${base}/windows/${win()}/close`, { method: "POST" }));
    document.getElementById("btn-move").onclick = () => act(() => api(`${base}/windows/${win()}/services`, { method: "PUT",
      json: { services: [...document.getElementById("move-services").selectedOptions].map((o) => o.value) } }));
    document.getElementById("btn-restore").onclick = () => act(() => api(`${base}/windows/${win()}/services`, { method: "PUT", json: { services: null } }));
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    setInterval(() => refreshSoon(0), 30000);  // waits grow and alerts arise with no event
  }

  wire();
  document.getElementById("below-link").href = "/monitor/" + encodeURIComponent(HALL) + "?below=1";
  start(load);
  window.HQM.monitor = { data: () => data, charts: () => charts };
})();
