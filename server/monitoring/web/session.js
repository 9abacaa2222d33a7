/* What the operator's pages share on top of /static/hallq.js: the hall, the operator's
 * sign-in kept for the browser session, API calls that ask for sign-in again on 401. */
(function () {
  "use strict";
  const params = HQ.params;
  const HALL = HQ.segment(1);
  const KEY = "hallq.monitor.token";
  if (params.get("token")) sessionStorage.setItem(KEY, params.get("token"));
  const t = HQ.t;

  /** An element: el("div", {class: "x"}, child, "text", ...). */
  function el(tag, attrs, ...kids) { return HQ.h(tag, attrs, kids.flat()); }
  function translate(root) { HQ.applyI18n(root); }
  function token() { return sessionStorage.getItem(KEY); }

  /** Call the core with the operator's token: opts.method, opts.json; a Blob for files. */
  async function api(path, opts) {
    const o = opts || {};
    try {
      return await HQ.api(o.method || "GET", path, o.json, { token: token() });
    } catch (err) {
      if (err.status === 401) { sessionStorage.removeItem(KEY); showLogin(); }
      throw err;
    }
  }

  let onReady = null;
  function showLogin(message) {
    const box = document.getElementById("login");
    box.hidden = false;
    document.getElementById("login-msg").textContent = message || "";
  }
  async function login(ev) {
    ev.preventDefault();
    try {
      const r = await HQ.api("POST", "/api/v1/auth/token", {
        username: document.getElementById("job_no").value,
        password: document.getElementById("password").value }, { form: true });
      sessionStorage.setItem(KEY, r.access_token);
    } catch (err) {
      showLogin(err.status === 401 ? t("login.bad") : HQ.errorText(err));
      return;
    }
    document.getElementById("login").hidden = true;
    if (onReady) onReady();
  }
  function start(ready) {
    // An unknown hall says so (with the way back) instead of an empty dashboard.
    HQ.checkHall(HALL).then((known) => { if (known !== false) begin(ready); });
  }
  function begin(ready) {
    onReady = ready;
    translate();
    document.getElementById("login-form").addEventListener("submit", login);
    HQ.onLang = ready;
    document.getElementById("lang").addEventListener("click", HQ.toggleLang);
    document.querySelectorAll("a[data-page]").forEach((a) => {
      a.href = "/monitor/" + encodeURIComponent(HALL) + (a.dataset.page ? "/" + a.dataset.page : "");
    });
    if (token()) ready(); else showLogin();
  }
  // Any refusal a page does not handle itself (a report for an unknown job number, a case
  // step out of turn) is shown to the operator in their language, never dropped.
  window.addEventListener("unhandledrejection", (ev) => {
    const err = ev.reason;
    if (err instanceof HQ.ApiError && err.status !== 401) { HQ.showError(err); ev.preventDefault(); }
  });
  window.HQM = window.HQM || {};
  /** A percentage, or 无数据 / n/a for a period with nothing to count. */
  function pct(v) { return v === null || v === undefined ? t("no_data") : v + "%"; }
  /** The three 差评 rates (江苏 第五条) as one line; an empty period says 无数据. */
  window.HQM.rates = (c) => t("rates", { f: pct(c.feedback_rate), r: pct(c.rectification_rate),
                                         v: pct(c.follow_up_rate) });
  window.HQM.pct = pct;
  window.HQM.common = { HALL, params, t, el, api, start, translate, token, showLogin,
                        minutes: (s) => (s === null || s === undefined ? t("no_data") : HQ.minutes(s)), lang: () => HQ.lang };
})();
