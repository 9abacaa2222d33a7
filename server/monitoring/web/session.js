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
  window.HQM = window.HQM || {};
  window.HQM.common = { HALL, params, t, el, api, start, translate, token, showLogin,
                        minutes: HQ.minutes, lang: () => HQ.lang };
})();
