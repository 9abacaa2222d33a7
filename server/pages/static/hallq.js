/* Hall Queue's one front-end module, shared by every page (kiosk, counter, help desk,
 * screens, monitor, the hall chooser): language and strings, API calls with the bearer
 * token, websockets that reconnect, errors shown in the user's language, "not found"
 * pages with the way back. Plain script, no libraries, nothing from the internet.
 * Served at /static/hallq.js; the shared strings at /static/strings.js. */
(function () {
  "use strict";
  var HQ = (window.HQ = window.HQ || {});
  var params = new URLSearchParams(location.search);
  var LANG_KEY = "hq.lang";
  HQ.params = params;

  /* ---------- language and strings (one scheme: keys, {name} placeholders) ---------- */

  HQ.I18N = HQ.I18N || { zh: {}, en: {} };

  /** Add a table of strings {zh: {...}, en: {...}}; later tables override earlier keys. */
  HQ.addStrings = function (table) {
    Object.keys(table).forEach(function (lang) {
      HQ.I18N[lang] = Object.assign(HQ.I18N[lang] || {}, table[lang]);
    });
  };

  function normalise(value) {
    if (!value) return null;
    value = String(value).toLowerCase();
    if (value === "en" || value.slice(0, 3) === "en-") return "en";
    if (value === "zh" || value.slice(0, 3) === "zh-") return "zh";
    return null;
  }

  // ?lang= wins and is remembered on this device; else the device's last choice; else 中文.
  HQ.lang = (function () {
    var q = normalise(params.get("lang"));
    try {
      if (q) { localStorage.setItem(LANG_KEY, q); return q; }
      return normalise(localStorage.getItem(LANG_KEY)) || "zh";
    } catch (e) { return q || "zh"; }  // storage refused (private mode): still works
  })();

  /** Translate a key, filling {name} placeholders; falls back to Chinese, then the key; {n} of 1 takes key.one. */
  HQ.t = function (key, vars) {
    var dict = HQ.I18N[HQ.lang] || {};
    // English singulars: "1 matter", not "1 matters" (key.one where the language has one).
    if (vars && Number(vars.n) === 1 && dict[key + ".one"] !== undefined) key = key + ".one";
    var text = dict[key];
    if (text === undefined) text = HQ.I18N.zh[key];
    if (text === undefined) return key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, function (_, k) {
        return vars[k] === undefined || vars[k] === null ? "—" : String(vars[k]);
      });
    }
    return text;
  };

  /** Whether a key has a string (in any language). */
  HQ.has = function (key) { return HQ.I18N.zh[key] !== undefined || (HQ.I18N.en || {})[key] !== undefined; };

  /** A configured name in the viewer's language: `name_en` in English when the hall gave one. */
  HQ.name = function (obj, field) {
    if (!obj) return "";
    field = field || "name";
    if (HQ.lang === "en" && obj[field + "_en"]) return obj[field + "_en"];
    return obj[field] || "";
  };

  /**
   * A pause reason in the viewer's language. Reasons are stored as a code with an optional
   * free detail ("rest", "meeting: 科室例会"); any other text (from an API client) is shown
   * as it was given.
   */
  HQ.reason = function (text) {
    if (!text) return "";
    var m = /^([a-z_]+)(?:\s*[:：]\s*([\s\S]*))?$/.exec(String(text));
    if (!m || !HQ.has("pause." + m[1])) return String(text);
    return HQ.t("pause." + m[1]) + (m[2] ? "：" + m[2] : "");
  };

  /** An outcome code (办结, 受理 …) in the viewer's language. */
  HQ.outcome = function (code) { return code && HQ.has("outcome." + code) ? HQ.t("outcome." + code) : (code || ""); };

  /** Fill [data-i18n] texts and [data-i18n-ph] placeholders under root; set <html lang>. */
  HQ.applyI18n = function (root) {
    (root || document).querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = HQ.t(el.getAttribute("data-i18n"));
    });
    (root || document).querySelectorAll("[data-i18n-ph]").forEach(function (el) {
      el.setAttribute("placeholder", HQ.t(el.getAttribute("data-i18n-ph")));
    });
    document.documentElement.lang = HQ.lang === "en" ? "en" : "zh-CN";
  };

  /** Switch language, remember it, refill the page and call the page's HQ.onLang. */
  HQ.setLang = function (lang) {
    HQ.lang = normalise(lang) || "zh";
    try { localStorage.setItem(LANG_KEY, HQ.lang); } catch (e) { /* not remembered */ }
    HQ.applyI18n();
    if (HQ.onLang) HQ.onLang();
  };

  /** Toggle 中文 / English (the pages' language switch). */
  HQ.toggleLang = function () { HQ.setLang(HQ.lang === "en" ? "zh" : "en"); };

  /** Make a button the language switch (its label comes from "lang.switch"). */
  HQ.langSwitch = function (button) {
    if (!button) return;
    button.setAttribute("data-i18n", "lang.switch");
    button.textContent = HQ.t("lang.switch");
    button.addEventListener("click", HQ.toggleLang);
  };

  /* ---------- where the page is ---------- */

  /** Path segment n (0-based after the leading slash), decoded. */
  HQ.segment = function (n) {
    var part = location.pathname.split("/")[n + 1] || "";
    try { return decodeURIComponent(part); } catch (e) { return part; }
  };

  /** The hall's API base: /api/v1/halls/{hall}. */
  HQ.hallApi = function (hall) { return "/api/v1/halls/" + encodeURIComponent(hall); };

  /* ---------- API calls ---------- */

  /** An API failure: HTTP status (0 when the network failed), the core's error code, its detail. */
  function ApiError(status, code, detail) {
    this.status = status; this.code = code; this.detail = detail;
    this.message = typeof detail === "string" ? detail : code;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;
  ApiError.prototype.name = "ApiError";
  HQ.ApiError = ApiError;

  /**
   * Call the core: resolves with the JSON body (null for 204, a Blob for a file),
   * rejects with ApiError. opts: token (bearer), form (send a form, not JSON).
   */
  HQ.api = function (method, path, body, opts) {
    opts = opts || {};
    var headers = { Accept: "application/json" };
    var payload;
    if (opts.token) headers.Authorization = "Bearer " + opts.token;
    if (opts.form) {
      payload = new URLSearchParams(body);
    } else if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    return fetch(path, { method: method, headers: headers, body: payload, cache: "no-store" })
      .then(function (r) {
        if (r.status === 204) return null;
        var type = r.headers.get("content-type") || "";
        if (r.ok && type.indexOf("json") < 0) return r.blob();
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) throw new ApiError(r.status, data.code || "http_" + r.status, data.detail);
          return data;
        });
      }, function () { throw new ApiError(0, "network", "network error"); });
  };

  /** The message for an error in the user's language: by the core's code, else by status. */
  HQ.errorText = function (err) {
    if (!err || err.status === undefined) return HQ.t("err.unknown");
    var key = "err." + err.code;
    if (HQ.has(key)) return HQ.t(key);
    var byStatus = { 0: "err.network", 400: "err.invalid", 401: "err.unauthorized",
                     403: "err.forbidden", 404: "err.not_found", 405: "err.not_found",
                     409: "err.conflict", 422: "err.refused", 429: "err.busy", 503: "err.busy" };
    return HQ.t(byStatus[err.status] || "err.unknown");
  };

  /* ---------- showing errors and notices ---------- */

  var noticeTimer = null;
  /** Show a short message at the top of the page (kind "error", "ok" or "info"). */
  HQ.notice = function (text, kind, ms) {
    var box = document.getElementById("hq-notice");
    if (!box) {
      box = document.createElement("div");
      box.id = "hq-notice";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:50%;top:1rem;transform:translateX(-50%);z-index:9999;" +
        "padding:.7em 1.2em;border-radius:8px;font-size:1.1rem;max-width:90vw;box-shadow:0 2px 12px #0006;";
      document.body.appendChild(box);
    }
    kind = kind || "error";
    box.dataset.kind = kind;
    box.style.background = kind === "error" ? "#b3261e" : kind === "ok" ? "#1b6e3a" : "#234";
    box.style.color = "#fff";
    box.textContent = text;
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { box.hidden = true; }, ms || 6000);
  };

  /** Show an API error in the user's language. */
  HQ.showError = function (err) { HQ.notice(HQ.errorText(err), "error"); };

  /**
   * Replace the page with a message that something does not exist, in the user's
   * language, with the way back: kind is "hall", "window" or "ticket".
   * opts: hall (a code, for the way back to that hall's page), what (the name asked for).
   */
  HQ.missing = function (kind, opts) {
    opts = opts || {};
    var back = opts.hall && kind !== "hall" ? "/halls/" + encodeURIComponent(opts.hall) : "/";
    var box = HQ.h("main", { id: "hq-missing", class: "hq-missing", "data-kind": kind,
                             style: "font:1.4rem/1.6 system-ui,'Noto Sans CJK SC',sans-serif;" +
                                    "max-width:40rem;margin:12vh auto;padding:2rem;text-align:center;" +
                                    "background:#fff;color:#222;border-radius:12px" }, [
      HQ.h("h1", { style: "font-size:2rem;margin:0 0 1rem" },
           [HQ.t("missing." + kind, { what: opts.what || "" })]),
      HQ.h("p", {}, [HQ.t("missing." + kind + ".why")]),
      HQ.h("p", {}, [HQ.h("a", { href: back, id: "hq-back", style: "color:#0b57d0" },
                          [HQ.t(back === "/" ? "missing.back.halls" : "missing.back.hall")])])
    ]);
    document.body.replaceChildren(box);
    document.body.dataset.missing = kind;
    document.title = HQ.t("missing." + kind, { what: opts.what || "" });
    HQ.applyI18n();
  };

  /**
   * Before a page of a hall starts: does the hall (and the window, opts.window) exist?
   * Resolves with the hall's directory (name, windows, pages); with false after replacing
   * the page by a "not found" message; with null when the core cannot say (unreachable):
   * the page then starts anyway and keeps retrying as it always does.
   */
  HQ.checkHall = function (hall, opts) {
    opts = opts || {};
    return HQ.api("GET", HQ.hallApi(hall) + "/directory").then(function (d) {
      var win = opts.window;
      if (win !== undefined && win !== null &&
          !d.windows.some(function (w) { return w.number === String(win); })) {
        HQ.missing("window", { hall: hall, what: win });
        return false;
      }
      HQ.directory = d;
      return d;
    }, function (err) {
      if (err.code === "unknown_hall") { HQ.missing("hall", { what: hall }); return false; }
      return null;
    });
  };

  /* ---------- websockets: one reconnect loop ---------- */

  /** ws:// or wss:// URL of a path on this server. */
  HQ.wsUrl = function (path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  };

  /**
   * Keep a websocket open for ever: reconnect with doubling delay and jitter (a restarted
   * core is not met by every screen of a city at one instant). opts: url (a path or a
   * function giving one; null means do not connect now), onOpen(ws), onMessage(obj),
   * onClose(), min/max delay ms. Returns {send(obj), close(), up(), socket()}.
   */
  HQ.socket = function (opts) {
    var min = opts.min || 500, max = opts.max || 15000, delay = min;
    var ws = null, stopped = false, up = false, timer = null;
    function open() {
      if (stopped || !window.WebSocket) return;
      var path = typeof opts.url === "function" ? opts.url() : opts.url;
      if (!path) return;
      try { ws = new WebSocket(HQ.wsUrl(path)); } catch (e) { retry(); return; }
      ws.onopen = function () { up = true; delay = min; if (opts.onOpen) opts.onOpen(ws); };
      ws.onmessage = function (m) {
        var msg;
        try { msg = JSON.parse(m.data); } catch (e) { return; }  // a bad frame is ignored
        if (opts.onMessage) opts.onMessage(msg);
      };
      ws.onclose = function (ev) {
        up = false; ws = null;
        if (opts.onClose) opts.onClose(ev);
        retry();
      };
      ws.onerror = function () { /* onclose follows */ };
    }
    function retry() {
      if (stopped) return;
      clearTimeout(timer);
      timer = setTimeout(open, delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, max);
    }
    open();
    return {
      send: function (obj) { if (ws && up) ws.send(JSON.stringify(obj)); },
      close: function () { stopped = true; clearTimeout(timer); if (ws) ws.close(); },
      up: function () { return up; },
      socket: function () { return ws; }
    };
  };

  /**
   * Keep a view fresh: `refresh()` now, on websocket messages (debounced), and by polling
   * every `fast` ms while the socket is down (every `slow` ms while it is up). Works with
   * no websocket at all. `onMessage(msg)` returning false means "handled, no refresh".
   * A refresh that failed is retried soon (after 1 s, then doubling up to `fast`), even
   * while the socket is up: a kiosk whose first load met a busy core must not stay blank
   * until the slow poll. Returns {stop(), now(), up()}.
   */
  HQ.live = function (opts) {
    var fast = opts.fast || 3000, slow = opts.slow || 15000, minGap = opts.minGap || 150;
    var timer = null, stopped = false, pending = null, last = 0, sock = null, failed = 0;
    function schedule() {
      clearTimeout(timer);
      if (stopped) return;
      var wait = sock && sock.up() ? slow : fast;
      if (failed) wait = Math.min(fast, 1000 * Math.pow(2, failed - 1));
      timer = setTimeout(tick, wait);
    }
    function tick() {
      Promise.resolve().then(opts.refresh)
        .then(function () { failed = 0; }, function () { failed += 1; })
        .then(schedule);
    }
    function poke(msg) {
      if (opts.onMessage && opts.onMessage(msg) === false) return;
      if (pending) return;  // one refresh is already due and will see this change too
      // A busy hall sends many events a second: refresh at most once per `minGap` ms.
      var wait = Math.max(150, last + minGap - Date.now());
      pending = setTimeout(function () {
        pending = null; last = Date.now();
        Promise.resolve().then(opts.refresh).then(function () {
          if (failed) { failed = 0; schedule(); }
        }, function () { failed += 1; schedule(); });
      }, wait);
    }
    document.body.dataset.live = "poll";
    tick();
    if (opts.ws) {
      sock = HQ.socket({
        url: opts.ws, min: 1000, max: 30000, onMessage: poke,
        onOpen: function () { document.body.dataset.live = "ws"; schedule(); },
        onClose: function () { document.body.dataset.live = "poll"; schedule(); }
      });
    }
    return {
      stop: function () { stopped = true; clearTimeout(timer); if (sock) sock.close(); },
      now: function () { return Promise.resolve().then(opts.refresh).catch(function () {}); },
      up: function () { return !!sock && sock.up(); }
    };
  };

  /* ---------- small helpers ---------- */

  /** Create an element: h("div", {class: "x", onclick: f}, [children or text]). */
  HQ.h = function (tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === "on" && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      el.appendChild(c.nodeType ? c : document.createTextNode(String(c)));
    });
    return el;
  };

  /** Minutes of a duration in seconds, one decimal, or "—" when there is none. */
  HQ.minutes = function (s) { return s === null || s === undefined ? "—" : (s / 60).toFixed(1); };

  /** Minutes of an estimated wait, as text. */
  HQ.fmtWait = function (seconds) {
    if (seconds === null || seconds === undefined) return "—";
    var m = Math.ceil(seconds / 60);
    return m <= 0 ? HQ.t("wait.none") : HQ.t("wait.min", { m: m });
  };

  /** Learn the hall's UTC offset from one of its ISO times ("…+08:00"). */
  HQ.learnOffset = function (iso) {
    var m = /([+-])(\d{2}):(\d{2})$/.exec(iso || "");
    if (m) HQ.offsetMin = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  };

  /** Clock text HH:MM in the hall's time zone (the device's own until it is known). */
  HQ.clock = function () {
    var d = new Date();
    if (HQ.offsetMin === undefined) {
      return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
    }
    d = new Date(d.getTime() + HQ.offsetMin * 60000);
    return ("0" + d.getUTCHours()).slice(-2) + ":" + ("0" + d.getUTCMinutes()).slice(-2);
  };

  document.documentElement.lang = HQ.lang === "en" ? "en" : "zh-CN";
})();
