/* Hall Queue terminals: language, API calls, live updates (websocket with polling fallback). */
(function () {
  "use strict";
  var HQ = (window.HQ = window.HQ || {});
  var params = new URLSearchParams(location.search);

  HQ.params = params;
  HQ.lang = (function () {
    var q = params.get("lang");
    if (q === "en" || q === "zh") { localStorage.setItem("hq.lang", q); return q; }
    return localStorage.getItem("hq.lang") === "en" ? "en" : "zh";
  })();

  /** Translate a key, filling {name} placeholders. */
  HQ.t = function (key, vars) {
    var dict = HQ.I18N[HQ.lang] || {};
    var text = dict[key];
    if (text === undefined) text = HQ.I18N.zh[key];
    if (text === undefined) text = key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, function (_, k) { return vars[k] === undefined ? "" : vars[k]; });
    }
    return text;
  };

  /** Fill every [data-i18n] element (and [data-i18n-ph] placeholders) under root. */
  HQ.applyI18n = function (root) {
    (root || document).querySelectorAll("[data-i18n]").forEach(function (el) {
      el.textContent = HQ.t(el.getAttribute("data-i18n"));
    });
    (root || document).querySelectorAll("[data-i18n-ph]").forEach(function (el) {
      el.setAttribute("placeholder", HQ.t(el.getAttribute("data-i18n-ph")));
    });
    document.documentElement.lang = HQ.lang === "en" ? "en" : "zh-CN";
  };

  /** Switch language and redraw through the page's own render function. */
  HQ.setLang = function (lang) {
    HQ.lang = lang;
    localStorage.setItem("hq.lang", lang);
    HQ.applyI18n();
    if (HQ.onLang) HQ.onLang();
  };

  HQ.toggleLang = function () { HQ.setLang(HQ.lang === "en" ? "zh" : "en"); };

  /** Path segment n (0-based after the leading slash). */
  HQ.segment = function (n) { return decodeURIComponent(location.pathname.split("/")[n + 1] || ""); };

  function ApiError(status, code, detail) {
    this.status = status; this.code = code; this.detail = detail;
  }
  HQ.ApiError = ApiError;

  /** Call the core's API; resolves with the JSON body (null for 204), rejects with ApiError. */
  HQ.api = function (method, path, body, opts) {
    opts = opts || {};
    var headers = {};
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
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) throw new ApiError(r.status, data.code || "http_" + r.status, data.detail);
          return data;
        });
      }, function () { throw new ApiError(0, "network", "network error"); });
  };

  /** A user-facing message for an API error. */
  HQ.errorText = function (err) {
    if (!(err instanceof ApiError)) return HQ.t("err.unknown");
    var key = "err." + err.code;
    var text = HQ.t(key);
    if (text !== key) return text;
    var byStatus = { 0: "err.network", 401: "err.unauthorized", 403: "err.forbidden",
                     404: "err.not_found", 409: "err.conflict", 422: "err.refused", 503: "err.busy" };
    return HQ.t(byStatus[err.status] || "err.unknown");
  };

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

  HQ.wsUrl = function (path) {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
  };

  /**
   * Keep a view fresh: `refresh()` now, on every websocket message (debounced), and by
   * polling every `fast` ms while the socket is down (every `slow` ms while it is up).
   * The page works with no websocket at all. Returns {stop(), state()}.
   */
  HQ.live = function (opts) {
    var fast = opts.fast || 3000, slow = opts.slow || 15000;
    var socket = null, timer = null, retry = 1000, stopped = false, up = false, pending = null;
    var minGap = opts.minGap || 150, last = 0;
    function schedule() {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(tick, up ? slow : fast);
    }
    function tick() {
      Promise.resolve().then(opts.refresh).catch(function () {}).then(schedule);
    }
    function poke(msg) {
      if (opts.onMessage && opts.onMessage(msg) === false) return;
      if (pending) return;  // one refresh is already due and will see this change too
      // A busy hall sends many events a second: refresh at most once per `minGap` ms.
      var wait = Math.max(150, last + minGap - Date.now());
      pending = setTimeout(function () {
        pending = null; last = Date.now();
        Promise.resolve().then(opts.refresh).catch(function () {});
      }, wait);
    }
    function connect() {
      if (stopped || !opts.ws || !window.WebSocket) return;
      var url = typeof opts.ws === "function" ? opts.ws() : opts.ws;
      if (!url) return;
      try { socket = new WebSocket(HQ.wsUrl(url)); } catch (e) { return; }
      socket.onopen = function () { up = true; retry = 1000; document.body.dataset.live = "ws"; schedule(); };
      socket.onmessage = function (ev) {
        var msg = null;
        try { msg = JSON.parse(ev.data); } catch (e) { return; }
        poke(msg);
      };
      socket.onclose = function () {
        up = false; socket = null; document.body.dataset.live = "poll";
        if (stopped) return;
        schedule();
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      };
      socket.onerror = function () { /* onclose follows */ };
    }
    document.body.dataset.live = "poll";
    tick();
    connect();
    return {
      stop: function () { stopped = true; clearTimeout(timer); if (socket) socket.close(); },
      now: function () { return Promise.resolve().then(opts.refresh).catch(function () {}); },
      up: function () { return up; }
    };
  };

  /** Create an element: h("div", {class: "x", onclick: f}, [children or text]). */
  HQ.h = function (tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    });
    return el;
  };
})();
