/* The audit trail (广西 第九条 电子监察; 焦作 第五十三条 巡查): search by day, staff, window,
 * ticket and action; export; a ticket's whole history on one screen. */
(function () {
  "use strict";
  const { HALL, t, el, api, start, lang } = HQM.common;
  const base = `/api/v1/halls/${encodeURIComponent(HALL)}/audit`;
  const PAGE = 200;
  let names = {}, shown = [], total = 0;
  const $ = (id) => document.getElementById(id);

  function toast(text, bad) {
    const box = $("toast");
    box.textContent = text; box.hidden = false; box.dataset.kind = bad ? "bad" : "ok";
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
  }
  const actionName = (code) => (names[code] ? names[code][lang()] : code);
  const time = (iso) => (iso ? iso.slice(0, 19).replace("T", " ") : "—");
  // Keys and coded values (outcome, presence …) in the page's language; other values as kept.
  function value(k, v) {
    if (typeof v === "object" && v !== null) return JSON.stringify(v);
    const text = String(v).replace(/^presence:/, "");
    const key = `val.${k}.${text}`;
    const said = t(key);
    if (said !== key) return said;
    const sign = t("sign." + text);
    return k === "why" && sign !== "sign." + text ? sign : String(v);
  }
  function detail(d) {
    return Object.entries(d || {}).map(([k, v]) => {
      const label = t("detail." + k);
      return `${label === "detail." + k ? k : label}${t("colon")}${value(k, v)}`;
    }).join("；");
  }

  function query(fmt, offset) {
    const q = new URLSearchParams({ format: fmt, lang: lang() });
    const pairs = [["from", "a-from"], ["to", "a-to"], ["staff", "a-staff"], ["window", "a-window"],
      ["ticket", "a-ticket"], ["action", "a-action"]];
    for (const [k, id] of pairs) { const v = $(id).value.trim(); if (v) q.set(k, v); }
    if (fmt === "json") { q.set("limit", PAGE); q.set("offset", offset || 0); }
    return base + "?" + q;
  }

  function row(e) {
    const tk = e.ticket ? el("a", { href: "#", class: "tk-link", onclick: (ev) => { ev.preventDefault(); history(e.ticket_id); } }, e.ticket) : "—";
    return el("tr", { "data-entry": e.id, "data-action": e.action },
      el("td", {}, time(e.at)), el("td", {}, actionName(e.action)),
      el("td", {}, e.staff ? `${e.staff} (${e.staff_no})` : (e.device || "—")),
      el("td", {}, e.window || "—"), el("td", {}, tk), el("td", { class: "wrap" }, detail(e.detail)));
  }

  async function search(more) {
    try {
      const r = await api(query("json", more ? shown.length : 0));
      document.getElementById("hall-name").textContent = HQ.name(r, "hall_name");
      for (const a of r.actions) names[a.code] = a;
      const select = $("a-action"), chosen = select.value;
      select.replaceChildren(el("option", { value: "" }, t("audit.any_action")),
        ...r.actions.map((a) => el("option", { value: a.code, selected: a.code === chosen }, a[lang()])));
      shown = more ? shown.concat(r.entries) : r.entries;
      total = r.total;
      document.querySelector("#entries tbody").replaceChildren(...shown.map(row));
      $("a-summary").textContent = t("audit.summary", { f: r.from, to: r.to, n: total, s: shown.length });
      $("a-more").hidden = shown.length >= total;
    } catch (err) {
      if (err.status !== 401) toast(t("failed", { d: HQ.errorText(err) }), true);
    }
  }

  async function history(ticket) {
    try {
      const h = await api(`${base}/tickets/${encodeURIComponent(ticket)}`);
      const tk = h.ticket;
      $("history").hidden = false;
      $("h-title").textContent = `${tk.number} · ${tk.service_name || tk.service} · ${tk.day}`;
      const facts = [["audit.status", t("tstatus." + tk.status)], ["by.window", tk.window || "—"],
        ["by.staff", tk.staff ? `${tk.staff} (${tk.staff_no})` : "—"], ["audit.issued", time(tk.issued_at).slice(11)],
        ["audit.called", time(tk.called_at).slice(11)], ["audit.finished", time(tk.finished_at).slice(11)],
        ["audit.transfers", tk.transfers], ["audit.recalls", tk.recalls]];
      $("h-facts").replaceChildren(...facts.map(([k, v]) => el("div", { class: "card" }, el("b", {}, v), el("span", {}, t(k)))));
      $("h-rating").textContent = h.rating ? t("audit.rating", { l: t("level." + h.rating.level), c: h.rating.comment || "—" }) +
        (h.case ? " · " + t("case.status." + h.case.status) : "") : t("audit.no_rating");
      document.querySelector("#h-entries tbody").replaceChildren(...h.entries.map((e) => el("tr", { "data-action": e.action },
        el("td", {}, time(e.at).slice(11)), el("td", {}, actionName(e.action)),
        el("td", {}, e.staff ? `${e.staff} (${e.staff_no})` : (e.device || "—")), el("td", {}, e.window || "—"),
        el("td", { class: "wrap" }, detail(e.detail)))));
      $("history").scrollIntoView({ block: "nearest" });
    } catch (err) {
      if (err.status !== 401) toast(t("failed", { d: HQ.errorText(err) }), true);
    }
  }

  async function download(fmt) {
    try {
      const blob = await api(query(fmt));
      const a = el("a", { href: URL.createObjectURL(blob), download: `audit-${HALL}.${fmt}` });
      document.body.append(a); a.click(); a.remove();
    } catch (err) {
      if (err.status !== 401) toast(t("failed", { d: HQ.errorText(err) }), true);
    }
  }

  $("audit-form").addEventListener("submit", (e) => { e.preventDefault(); search(false); });
  $("a-more").onclick = () => search(true);
  $("a-csv").onclick = () => download("csv");
  $("a-xlsx").onclick = () => download("xlsx");
  const params = new URLSearchParams(location.search);
  if (params.get("ticket")) $("a-ticket").value = params.get("ticket");
  if (params.get("from")) $("a-from").value = params.get("from");
  if (params.get("to")) $("a-to").value = params.get("to");
  // Opened from a 差评 case: that ticket's whole history at once.
  let first = params.get("history");
  start(() => { search(false); if (first) { history(first); first = null; } });
  window.HQM.audit = { history };
})();
