/* Shared by the monitoring pages: language, sign-in, the API and small DOM helpers. */
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const parts = location.pathname.split("/").filter(Boolean);
  const HALL = decodeURIComponent(parts[1] || "");
  const KEY = "hallq.monitor.token";
  let lang = params.get("lang") || localStorage.getItem("hallq.monitor.lang") || "zh";
  if (params.get("token")) sessionStorage.setItem(KEY, params.get("token"));

  function t(key, vars) {
    const table = HQM.I18N[lang] || HQM.I18N.zh;
    let s = table[key] !== undefined ? table[key] : (HQM.I18N.zh[key] !== undefined ? HQM.I18N.zh[key] : key);
    if (vars) s = s.replace(/\{(\w+)\}/g, (_, k) => (vars[k] === undefined || vars[k] === null ? "—" : String(vars[k])));
    return s;
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) if (kid !== null && kid !== undefined) e.append(kid.nodeType ? kid : String(kid));
    return e;
  }
  function translate(root) {
    (root || document).querySelectorAll("[data-t]").forEach((n) => { n.textContent = t(n.dataset.t); });
    (root || document).querySelectorAll("[data-tp]").forEach((n) => { n.placeholder = t(n.dataset.tp); });
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
  }
  function token() { return sessionStorage.getItem(KEY); }
  async function api(path, opts) {
    const o = Object.assign({ headers: {} }, opts || {});
    o.headers = Object.assign({ Authorization: "Bearer " + token() }, o.headers);
    if (o.json !== undefined) { o.body = JSON.stringify(o.json); o.headers["Content-Type"] = "application/json"; }
    const r = await fetch(path, o);
    if (r.status === 401) { sessionStorage.removeItem(KEY); showLogin(); throw new Error("401"); }
    if (!r.ok) {
      let d = r.statusText; try { const b = await r.json(); d = typeof b.detail === "string" ? b.detail : JSON.stringify(b.detail); } catch (e) { /* not JSON */ }
      const err = new Error(d); err.status = r.status; throw err;
    }
    const type = r.headers.get("content-type") || "";
    return type.includes("json") ? r.json() : r.blob();
  }
  let onReady = null;
  function showLogin(message) {
    const box = document.getElementById("login");
    box.hidden = false;
    document.getElementById("login-msg").textContent = message || "";
  }
  async function login(ev) {
    ev.preventDefault();
    const body = new URLSearchParams({ username: document.getElementById("job_no").value,
                                       password: document.getElementById("password").value });
    const r = await fetch("/api/v1/auth/token", { method: "POST", body });
    if (!r.ok) { showLogin(t("login.bad")); return; }
    sessionStorage.setItem(KEY, (await r.json()).access_token);
    document.getElementById("login").hidden = true;
    if (onReady) onReady();
  }
  function start(ready) {
    onReady = ready;
    translate();
    document.getElementById("login-form").addEventListener("submit", login);
    document.getElementById("lang").addEventListener("click", () => {
      lang = lang === "zh" ? "en" : "zh";
      localStorage.setItem("hallq.monitor.lang", lang);
      translate();
      ready();
    });
    document.querySelectorAll("a[data-page]").forEach((a) => {
      a.href = "/monitor/" + encodeURIComponent(HALL) + (a.dataset.page ? "/" + a.dataset.page : "");
    });
    if (token()) ready(); else showLogin();
  }
  function minutes(s) { return s === null || s === undefined ? "—" : (s / 60).toFixed(1); }
  window.HQM.common = { HALL, params, t, el, api, start, translate, token, showLogin, minutes,
                        lang: () => lang };
})();
