/* 差评 cases: verify, rectify, answer, follow up, or void by appeal; the three rates. */
(function () {
  "use strict";
  const { HALL, t, el, api, start } = HQM.common;
  const NEXT = { open: "verify", verified: "rectify", rectified: "answer", answered: "follow_up" };
  const base = `/api/v1/halls/${encodeURIComponent(HALL)}/cases`;

  async function step(c, action) {
    const note = prompt(t("case.note"));
    if (!note) return;
    const body = { note };
    if (action === "follow_up") {
      body.citizen_view = prompt(t("case.view") + ": satisfied / basically_satisfied / unsatisfied", "satisfied");
    }
    await api(`${base}/${c.id}/${action.replace("_", "-")}`, { method: "POST", json: body });
    load();
  }

  async function voidCase(c) {
    const reason = prompt(t("reason")); if (!reason) return;
    const approver = prompt(t("case.approver")); if (!approver) return;
    await api(`${base}/${c.id}/void`, { method: "POST", json: { reason, approver } });
    load();
  }

  async function load() {
    const body = await api(base + "?below=true");
    const r = body.rates;
    document.getElementById("hall-name").textContent = body.hall_name;
    document.getElementById("rates").textContent = t("rates", { f: r.feedback_rate, r: r.rectification_rate, v: r.follow_up_rate }) +
      ` · ${t("case.overdue")} ${r.overdue}`;
    const onlyOpen = document.getElementById("only-open").checked;
    const rows = body.cases.filter((c) => !onlyOpen || !["closed", "voided"].includes(c.status));
    document.querySelector("#cases tbody").replaceChildren(...rows.map((c) => el("tr", { "data-case": c.id },
      el("td", {}, c.id), el("td", {}, c.ticket_id ? c.ticket_id.slice(0, 6) : ""), el("td", {}, c.window || "—"),
      el("td", {}, c.staff || "—"), el("td", {}, c.level), el("td", { class: c.overdue ? "overdue" : "" },
        c.deadline + (c.overdue ? " " + t("case.overdue") : "")),
      el("td", {}, t("case.status." + c.status)),
      el("td", {}, [c.verify_note, c.rectify_note, c.answer_note, c.followup_note, c.void_reason].filter(Boolean).join(" / ")),
      el("td", {}, NEXT[c.status] ? el("button", { type: "button", onclick: () => step(c, NEXT[c.status]) }, t("case." + NEXT[c.status])) : null,
        ["open", "verified"].includes(c.status) ? el("button", { type: "button", onclick: () => voidCase(c) }, t("case.void")) : null))));
  }
  document.getElementById("only-open").onchange = load;
  start(load);
})();
