/* 差评 cases (焦作 第五十四条; 江苏 第五条 三个100%): the list, and one case's steps in forms:
 * 核实 → 整改 → 反馈 → 回访, or 申诉 decided by a second person (申诉作废). */
(function () {
  "use strict";
  const { HALL, t, el, api, start, lang } = HQM.common;
  const NEXT = { open: "verify", verified: "rectify", rectified: "answer", answered: "follow_up" };
  const STEPS = [["verified_at", "verify", "verify_note", "verified_by"],
    ["appealed_at", "appeal", "appeal_reason", "appealed_by"],
    ["rectified_at", "rectify", "rectify_note", "rectified_by"],
    ["answered_at", "answer", "answer_note", "answered_by"],
    ["followed_up_at", "follow_up", "followup_note", "followed_up_by"],
    ["voided_at", "void", "void_reason", "void_approver"]];
  const base = `/api/v1/halls/${encodeURIComponent(HALL)}/cases`;
  let cases = [], selected = null;

  function toast(text, bad) {
    const box = document.getElementById("toast");
    box.textContent = text; box.hidden = false; box.dataset.kind = bad ? "bad" : "ok";
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
  }
  const time = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");
  const reasons = (c) => (lang() === "en" ? c.reason_names_en : c.reason_names).join(t("sep"));

  function deadline(c) {
    if (c.overdue) return t("case.overdue_by", { d: c.deadline, n: -c.working_days_left });
    if (c.working_days_left === null) return c.deadline;
    return t("case.days_left", { d: c.deadline, n: c.working_days_left });
  }

  function row(c) {
    return el("tr", { "data-case": c.id, class: c.id === selected ? "on" : "" },
      el("td", { class: "tk" }, c.ticket || "—"), el("td", {}, c.service_name || "—"),
      el("td", {}, c.window ? t("window.no", { n: c.window }) : "—"), el("td", {}, c.staff || "—"),
      el("td", {}, t("level." + c.level)), el("td", { class: "wrap" }, reasons(c) || "—"),
      el("td", { class: "wrap" }, c.comment || "—"),
      el("td", { class: c.overdue ? "overdue" : "" }, deadline(c)),
      el("td", { "data-status": c.status }, t("case.status." + c.status)),
      el("td", {}, el("button", { type: "button", class: "open-case", onclick: () => pick(c.id) }, t("case.handle"))));
  }

  function render() {
    const onlyOpen = document.getElementById("only-open").checked;
    const rows = cases.filter((c) => !onlyOpen || !["closed", "voided"].includes(c.status) || c.id === selected);
    document.querySelector("#cases tbody").replaceChildren(...rows.map(row));
    renderDetail();
  }

  function renderDetail() {
    const box = document.getElementById("case-detail");
    const c = cases.find((x) => x.id === selected);
    box.hidden = !c;
    if (!c) return;
    box.dataset.status = c.status;
    document.getElementById("case-title").textContent = [c.ticket, c.service_name,
      c.window ? t("window.no", { n: c.window }) : null, c.staff, t("level." + c.level),
      t("case.status." + c.status)].filter(Boolean).join(" · ");
    document.getElementById("case-said").textContent = t("case.said", { r: reasons(c) || "—", c: c.comment || "—" });
    const trail = document.getElementById("case-trail");
    trail.textContent = t("case.trail", { n: c.ticket || "—" });
    trail.href = `/monitor/${encodeURIComponent(HALL)}/audit?history=${encodeURIComponent(c.ticket_id || "")}` +
      (c.ticket_day ? `&from=${c.ticket_day}&to=${c.ticket_day}` : "");
    document.getElementById("case-steps").replaceChildren(
      el("li", {}, `${time(c.opened_at)} ${t("case.opened")} · ${deadline(c)}`),
      ...STEPS.filter(([at]) => c[at]).map(([at, step, note, who]) => el("li", { "data-step": step },
        `${time(c[at])} ${t("case." + step)}${t("colon")}${c[note]}` + (c[who] ? ` (${c[who]})` : "") +
        (step === "follow_up" && c.citizen_view ? ` · ${t("view." + c.citizen_view)}` : ""))));
    const next = NEXT[c.status];
    const form = document.getElementById("step-form");
    form.hidden = !next;
    if (next) {
      document.getElementById("step-title").textContent = t("case." + next);
      document.getElementById("step-note").placeholder = t("case.note." + next);
      document.getElementById("step-ok").textContent = t("case.save." + next);
      document.getElementById("step-view").hidden = next !== "follow_up";
    }
    document.getElementById("appeal-form").hidden = !["open", "verified"].includes(c.status);
    document.getElementById("decide-form").hidden = c.status !== "appealing";
    if (c.status === "appealing") {
      document.getElementById("decide-what").textContent = t("case.appealed", { who: c.appealed_by || "—", r: c.appeal_reason });
    }
  }

  function pick(id) {
    selected = id;
    for (const f of ["step-note", "appeal-reason", "decide-note"]) document.getElementById(f).value = "";
    render();
    document.getElementById("case-detail").scrollIntoView({ block: "nearest" });
  }

  async function send(path, body, done) {
    try {
      const c = await api(`${base}/${selected}/${path}`, { method: "POST", json: body });
      cases = cases.map((x) => (x.id === c.id ? c : x));
      toast(t(done));
      await load();
    } catch (err) {
      if (err.status !== 401) toast(t("failed", { d: HQ.errorText(err) }), true);
    }
  }

  document.getElementById("step-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const c = cases.find((x) => x.id === selected); const next = c && NEXT[c.status];
    if (!next) return;
    const body = { note: document.getElementById("step-note").value.trim() };
    if (next === "follow_up") body.citizen_view = document.querySelector("input[name=view]:checked").value;
    send(next.replace("_", "-"), body, "case.saved");
  });
  document.getElementById("appeal-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send("appeal", { reason: document.getElementById("appeal-reason").value.trim() }, "case.appeal_sent");
  });
  document.getElementById("decide-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send("appeal/approve", { note: document.getElementById("decide-note").value.trim() }, "case.saved");
  });
  document.getElementById("refuse").addEventListener("click", () => {
    const note = document.getElementById("decide-note");
    if (!note.reportValidity()) return;
    send("appeal/refuse", { note: note.value.trim() }, "case.saved");
  });

  async function load() {
    const body = await api(base + "?below=true");
    const r = body.rates;
    document.getElementById("hall-name").textContent = HQ.name(body, "hall_name");
    document.getElementById("rates").textContent = HQM.rates(r) +
      " · " + t("cases.open", { n: body.cases.filter((c) => !["closed", "voided"].includes(c.status)).length, o: r.overdue });
    cases = body.cases;
    const wanted = Number(new URLSearchParams(location.search).get("case"));
    if (selected === null && wanted) selected = wanted;
    render();
  }
  document.getElementById("only-open").onchange = render;
  start(load);
  window.HQM.cases = { pick };
})();
