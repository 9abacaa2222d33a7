/* The presence board (去向牌, 焦作 第三十条(五)): every staff member's sign, set here by the
 * operator; each window's A and B post (AB岗, 邵阳 第十六条) and a stand-in for the day. */
(function () {
  "use strict";
  const { HALL, t, el, api, start } = HQM.common;
  const base = `/api/v1/halls/${encodeURIComponent(HALL)}`;
  const SIGNS = ["on_duty", "leave", "out", "meeting"];
  let timer = null;

  function toast(text, bad) {
    const box = document.getElementById("toast");
    box.textContent = text; box.hidden = false; box.dataset.kind = bad ? "bad" : "ok";
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
  }
  const sign = (p, note) => el("span", { class: "sign", "data-presence": p }, t("sign." + p) + (note ? ` · ${note}` : ""));

  async function setSign(jobNo, presence, note) {
    try {
      await api(`${base}/staff/${encodeURIComponent(jobNo)}/presence`, { method: "PUT", json: { presence, note } });
      toast(t("case.saved"));
      await load();
    } catch (err) {
      if (err.status !== 401) toast(t("failed", { d: HQ.errorText(err) }), true);
    }
  }

  function person(p) {
    const select = el("select", { class: "pick" }, ...SIGNS.map((s) => el("option", { value: s, selected: s === p.presence }, t("sign." + s))));
    const note = el("input", { class: "note", maxlength: 200, placeholder: t("presence.note"), value: p.note || "" });
    const posts = [...p.a_of.map((n) => t("presence.a_of", { n })), ...p.b_of.map((n) => t("presence.b_of", { n }))].join(t("sep"));
    return el("tr", { "data-staff": p.job_no },
      el("td", {}, p.job_no), el("td", {}, p.name), el("td", {}, p.department || "—"),
      el("td", { class: "now" }, sign(p.presence, p.note)),
      el("td", {}, p.window ? t("presence.at_window", { n: p.window, p: p.post }) : "—"),
      el("td", {}, posts || "—"),
      el("td", {}, select, " ", note, " ", el("button", { type: "button", class: "set",
        onclick: () => setSign(p.job_no, select.value, note.value.trim()) }, t("presence.save"))));
  }

  function post(w) {
    const who = w.staff ? `${w.staff} (${t("post", { p: w.post })})` : t("state.empty");
    return el("tr", { "data-window": w.number },
      el("td", {}, t("window.no", { n: w.number }) + " " + w.name), el("td", {}, w.a_staff || "—"),
      el("td", {}, w.b_staff || "—"),
      el("td", {}, who, w.presence ? [" ", sign(w.presence, w.presence_staff)] : null));
  }

  async function load() {
    const b = await api(`${base}/presence`);
    document.getElementById("hall-name").textContent = HQ.name(b, "hall_name");
    document.getElementById("counts").replaceChildren(...SIGNS.map((s) =>
      el("div", { class: "card", id: "count-" + s }, el("b", {}, b.counts[s]), el("span", {}, t("sign." + s)))));
    document.querySelector("#people tbody").replaceChildren(...b.staff.map(person));
    document.querySelector("#posts tbody").replaceChildren(...b.windows.map(post));
    const chosen = document.getElementById("ov-window").value;
    document.getElementById("ov-window").replaceChildren(...b.windows.map((w) =>
      el("option", { value: w.number, selected: w.number === chosen }, t("window.no", { n: w.number }))));
    clearTimeout(timer);
    timer = setTimeout(load, 15000);  // the board stays current without a websocket
  }

  document.getElementById("override-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const number = document.getElementById("ov-window").value;
    try {
      const r = await api(`${base}/windows/${encodeURIComponent(number)}/post-override`, { method: "POST", json: {
        job_no: document.getElementById("ov-job").value.trim(), post: document.getElementById("ov-post").value,
        reason: document.getElementById("ov-reason").value.trim() } });
      toast(t("presence.granted", { j: r.job_no, n: r.window, p: r.post, d: r.day }));
    } catch (err) {
      if (err.status !== 401) toast(t("failed", { d: HQ.errorText(err) }), true);
    }
  });
  start(load);
})();
