/* The ticket kiosk (取号机): pick a matter, take a ticket, check in an appointment. */
(function () {
  "use strict";
  var h = HQ.h, t = HQ.t;
  var hall = HQ.segment(1);
  var token = HQ.params.get("token");
  if (token) localStorage.setItem("hq.kiosk.token", token);
  token = localStorage.getItem("hq.kiosk.token");
  var idleMs = (parseFloat(HQ.params.get("idle")) || 40) * 1000;
  var scannerFilter = HQ.params.get("scanner");
  // The next citizen starts in the kiosk's own language, whatever the last one chose.
  var homeLang = HQ.params.get("lang") === "en" ? "en" : "zh";
  var GREEN_REASONS = ["elderly", "disabled", "pregnant", "military", "other"];

  var st = { overview: null, screen: null, group: null, green: null, service: null,
             lastActive: Date.now(), scanAfter: -1, busy: false, printTimer: null,
             // An ID card read on this kiosk's reader: only a reference, never the number.
             card: null, cardAfter: -1, readers: [] };
  var $ = function (id) { return document.getElementById(id); };

  function show(name) {
    st.screen = name;
    document.querySelectorAll(".screen").forEach(function (s) { s.hidden = s.id !== "screen-" + name; });
    document.body.dataset.screen = name;
  }

  var toastTimer = null;
  function toast(text, kind) {
    var el = $("toast");
    el.textContent = text; el.className = "toast " + (kind || "error"); el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 6000);
  }

  function busy(on) { st.busy = on; $("busy").hidden = !on; }

  function api(method, path, body) {
    return HQ.api(method, "/api/v1/halls/" + encodeURIComponent(hall) + path, body, { token: token });
  }

  /* ---------- home: domains, then services ---------- */

  function loadOverview() {
    return api("GET", "/kiosk").then(function (ov) {
      var key = JSON.stringify([ov.state, ov.printer, ov.domains]);
      var first = st.screen === null || st.screen === "setup", changed = key !== st.overviewKey;
      st.overview = ov; st.overviewKey = key;
      HQ.learnOffset(ov.at);
      $("clock").textContent = HQ.clock();
      showHall();
      if (first) { show("home"); renderHome(); return; }
      if (st.screen !== "home" || !changed) return;
      // Never swap the tiles under a finger: redraw once the screen has been still a moment.
      clearTimeout(st.redraw);
      var wait = Math.max(0, 1200 - (Date.now() - st.lastActive));
      st.redraw = setTimeout(function () { if (st.screen === "home") renderHome(); }, wait);
    }, function (err) {
      if (err.status === 401 || err.status === 403) show("setup");
      throw err;
    });
  }

  /** The centre's name in the kiosk's language (its English name when the hall gave one). */
  function showHall() {
    var ov = st.overview;
    if (!ov) return;
    $("centre").textContent = HQ.name(ov.hall);
    document.title = HQ.name(ov.hall) + " · " + t("kiosk.title");
  }

  function groupName(g) { return HQ.name(g) || t("kiosk.special"); }

  function stateText(s) {
    if (s.state === "closed") return t("kiosk.state.closed");
    if (s.state === "out_of_hours") return t("kiosk.state.out_of_hours");
    return null;
  }

  function renderHome() {
    var ov = st.overview;
    if (!ov) return;
    var banner = $("hours-banner");
    if (ov.state !== "open") {
      var when = ov.next_opening ? ov.next_opening.slice(5, 16).replace("T", " ") : "—";
      banner.textContent = t("kiosk.closed." + ov.state) + " " + t("kiosk.next_opening", { when: when });
      banner.hidden = false;
    } else if (ov.printer === "offline") {
      banner.textContent = t("kiosk.printer_down"); banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    $("hours-today").textContent = ov.hours_today.length
      ? t("kiosk.hours_today", { hours: ov.hours_today.join("  ") }) : t("kiosk.closed.closed_day");
    var gb = $("green-banner");
    gb.hidden = st.green === null;
    document.querySelector(".k-actions").hidden = st.green !== null;
    $("home-title").textContent = t(st.green !== null ? "kiosk.green.choose" : "kiosk.choose");
    var reasons = $("green-reasons");
    reasons.innerHTML = "";
    GREEN_REASONS.forEach(function (r) {
      reasons.appendChild(h("button", { type: "button", class: "chip" + (st.green === r ? " on" : ""),
        "data-reason": r, onclick: function () { st.green = r; renderHome(); } }, [t("green." + r)]));
    });
    var groups = ov.domains;
    var current = st.group && groups.filter(function (g) { return g.code === st.group; })[0];
    if (groups.length === 1) current = groups[0];
    var box = $("domains");
    box.innerHTML = "";
    box.hidden = !!current;
    $("services").hidden = !current;
    $("back-domains").hidden = groups.length === 1;
    if (current) { renderServices(current); return; }
    groups.forEach(function (g) {
      var waiting = g.services.reduce(function (a, s) { return a + s.waiting; }, 0);
      var open = g.services.some(function (s) { return s.state === "open"; });
      box.appendChild(h("button", { type: "button", class: "tile domain" + (open ? "" : " off"),
        "data-domain": g.code, onclick: function () { st.group = g.code; renderHome(); } }, [
        h("span", { class: "tile-name" }, [groupName(g)]),
        h("span", { class: "tile-sub" }, [t("kiosk.domain.sub", { n: g.services.length, w: waiting })])
      ]));
    });
  }

  function renderServices(g) {
    $("domain-name").textContent = groupName(g);
    var list = $("service-list");
    list.innerHTML = "";
    g.services.forEach(function (s) {
      var why = stateText(s);
      list.appendChild(h("button", { type: "button", class: "tile service" + (why ? " off" : ""),
        "data-service": s.code, "data-state": s.state, disabled: !!why,
        onclick: function () { choose(s); } }, [
        h("span", { class: "tile-name" }, [HQ.name(s)]),
        why ? h("span", { class: "badge" }, [why]) : null,
        h("span", { class: "tile-sub" }, [
          h("span", { class: "waiting" }, [t("kiosk.waiting", { n: s.waiting })]),
          why ? null : h("span", { class: "est" }, [s.estimated_wait_s > 0
            ? t("kiosk.est", { w: HQ.fmtWait(s.estimated_wait_s) }) : t("kiosk.est.none")])
        ])
      ]));
    });
  }

  /* ---------- issuing ---------- */

  function choose(s) {
    st.service = s;
    if (st.card) { issueByCard(); return; }  // the card filled the ID step already
    var mode = st.overview.id_entry;
    if (mode === "off") { issue(null); return; }
    $("id-input").value = "";
    $("id-hint").textContent = t(mode === "required" ? "kiosk.id.required" : "kiosk.id.optional",
                                 { n: st.overview.daily_limit });
    $("id-skip").hidden = mode === "required";
    $("id-card-hint").hidden = st.readers.length === 0;
    show("id");
  }

  function issue(idNumber) {
    if (st.busy) return;
    busy(true);
    var body = { service: st.service.code, priority: st.green !== null ? "green" : "normal",
                 channel: "kiosk" };
    if (idNumber) body.id_number = idNumber;
    if (st.green !== null) body.green_reason = st.green;
    api("POST", "/kiosk/tickets", body).then(showTicket, function (err) {
      toast(HQ.errorText(err));
      if (st.screen === "id" && err.code !== "id_required") show("home");
      loadOverview().catch(function () {});
    }).then(function () { busy(false); });
  }

  /* ---------- ID card (二代证) on the kiosk's reader ---------- */

  function cardBody(withService) {
    var body = { card: st.card };
    if (withService) {
      body.service = st.service.code;
      body.priority = st.green !== null ? "green" : "normal";
      if (st.green !== null) body.green_reason = st.green;
    }
    return body;
  }

  function cardFailed(err) {
    if (err.code === "card_expired") st.card = null;
    toast(HQ.errorText(err));
    if (st.screen === "id") show("home");
    loadOverview().catch(function () {});
  }

  // A card placed: check in its holder's booking for today, else it fills the ID step.
  function onCard(read) {
    st.lastActive = Date.now();
    if (st.busy || st.screen === "ticket" || st.screen === "setup") return;
    st.card = read.card;
    busy(true);
    api("POST", "/id-cards/ticket", cardBody(false)).then(function (res) {
      if (res.ticket) { showTicket(res); return; }
      // On the ID step with a matter chosen: take the ticket for it now.
      if (st.screen === "id" && st.service) {
        return api("POST", "/id-cards/ticket", cardBody(true)).then(showTicket);
      }
      if (st.screen === "checkin") show("home");
      toast(t("kiosk.card.read"), "info");
      document.body.dataset.card = "read";
    }).catch(cardFailed).then(function () { busy(false); });
  }

  function issueByCard() {
    if (st.busy) return;
    busy(true);
    api("POST", "/id-cards/ticket", cardBody(true)).then(showTicket, cardFailed)
      .then(function () { busy(false); });
  }

  function pollCards() {
    api("GET", "/id-cards?after=" + st.cardAfter).then(function (r) {
      var first = st.cardAfter < 0;
      st.cardAfter = r.last;
      if (first) { st.readers = r.readers || []; document.body.dataset.cards = "ready"; return; }
      var latest = r.cards[r.cards.length - 1];
      if (latest) onCard(latest);
    }).catch(function () {}).then(function () { setTimeout(pollCards, 1000); });
  }

  function checkIn(code) {
    code = (code || "").trim();
    if (!code || st.busy) return;
    busy(true);
    api("POST", "/kiosk/check-in", { code: code }).then(showTicket, function (err) {
      toast(HQ.errorText(err));
    }).then(function () { busy(false); });
  }

  function showTicket(res) {
    var tk = res.ticket;
    st.green = null; st.group = null; st.card = null;
    delete document.body.dataset.card;
    $("t-number").textContent = tk.number;
    $("t-service").textContent = HQ.name(tk, "service_name");
    $("t-ahead").textContent = t("ticket.ahead.n", { n: tk.ahead === null ? 0 : tk.ahead });
    $("t-wait").textContent = HQ.fmtWait(tk.estimated_wait_s);
    // The QR code carries the rating key (k), which only this ticket's holder gets.
    $("t-qr").src = "/api/v1/tickets/" + encodeURIComponent(tk.id) + "/qr.svg" +
      (res.rating_key ? "?k=" + encodeURIComponent(res.rating_key) : "");
    $("t-qr").dataset.url = res.url;
    var tag = $("t-tag");
    tag.hidden = tk.priority === "normal";
    tag.textContent = tk.priority === "green" ? t("kiosk.tag.green") : t("kiosk.tag.appointment");
    tag.className = "k-tag " + tk.priority;
    $("screen-ticket").dataset.ticket = tk.id;
    show("ticket");
    st.lastActive = Date.now();
    idleTick();
    followPrint(res.print);
    loadOverview().catch(function () {});
  }

  function setPrint(state, detail) {
    var el = $("t-print");
    el.dataset.state = state;
    el.className = "k-print " + state;
    if (state === "failed") {
      el.textContent = t("print.failed") + (detail ? " (" + t("print.why." + detail) + ")" : "") +
        " " + t("print.still_valid");
    } else {
      el.textContent = t("print." + state);
    }
  }

  function followPrint(job) {
    clearTimeout(st.printTimer);
    setPrint(job.state, job.detail);
    if (job.state !== "pending") return;
    var until = Date.now() + 8000;
    (function poll() {
      st.printTimer = setTimeout(function () {
        api("GET", "/print-jobs/" + encodeURIComponent(job.job)).then(function (r) {
          if (r.state !== "pending") { setPrint(r.state, r.detail); return; }
          if (Date.now() > until) { setPrint("unknown"); return; }
          poll();
        }, function () { if (Date.now() > until) setPrint("unknown"); else poll(); });
      }, 600);
    })();
  }

  /* ---------- keypads, scanner ---------- */

  function keypad(box, keys, input) {
    keys.forEach(function (k) {
      box.appendChild(h("button", { type: "button", class: "key", "data-key": k, onclick: function () {
        if (k === "⌫") input.value = input.value.slice(0, -1);
        else if (input.value.length < (input.maxLength || 64)) input.value += k;
      } }, [k]));
    });
  }

  var wedge = { buf: "", last: 0 };
  function onKey(ev) {
    st.lastActive = Date.now();
    if (ev.target && ev.target.id === "code-input") {
      if (ev.key === "Enter") { ev.preventDefault(); checkIn(ev.target.value); }
      return;
    }
    var now = Date.now();
    // A keyboard-wedge scanner types a whole code in a few milliseconds and ends with Enter.
    if (now - wedge.last > 100) wedge.buf = "";
    wedge.last = now;
    if (ev.key === "Enter") {
      if (wedge.buf.length >= 4) { ev.preventDefault(); checkIn(wedge.buf); }
      wedge.buf = "";
    } else if (ev.key.length === 1) {
      wedge.buf += ev.key;
    }
  }

  function pollScans() {
    api("GET", "/devices/scans?after=" + st.scanAfter).then(function (r) {
      var first = st.scanAfter < 0;
      st.scanAfter = r.last;
      document.body.dataset.scans = "ready";
      if (first) return;
      r.scans.forEach(function (s) {
        if (!scannerFilter || s.device === scannerFilter) { st.lastActive = Date.now(); checkIn(s.code); }
      });
    }).catch(function () {}).then(function () { setTimeout(pollScans, 1000); });
  }

  /* ---------- idle and modes ---------- */

  function goHome() {
    st.green = null; st.group = null; st.service = null; st.card = null;
    delete document.body.dataset.card;
    clearTimeout(st.printTimer);
    document.body.classList.remove("care");
    $("care").setAttribute("aria-pressed", "false");
    if (HQ.lang !== homeLang) HQ.setLang(homeLang);
    show("home");
    renderHome();
  }

  function idleTick() {
    var left = Math.ceil((idleMs - (Date.now() - st.lastActive)) / 1000);
    $("ticket-done").textContent = t("kiosk.done", { s: Math.max(left, 0) });
    var away = st.screen !== "home" || st.green !== null || st.group !== null ||
      document.body.classList.contains("care");
    if (away && st.screen !== "setup" && left <= 0) goHome();
  }

  function init() {
    HQ.applyI18n();
    if (!token) { show("setup"); return; }
    ["pointerdown", "keydown", "touchstart"].forEach(function (e) {
      document.addEventListener(e, function () { st.lastActive = Date.now(); }, true);
    });
    document.addEventListener("keydown", onKey);
    $("lang").onclick = HQ.toggleLang;
    $("care").onclick = function () {
      $("care").setAttribute("aria-pressed", String(document.body.classList.toggle("care")));
    };
    $("btn-green").onclick = function () { st.green = "elderly"; st.group = null; renderHome(); };
    $("green-cancel").onclick = function () { st.green = null; renderHome(); };
    $("btn-checkin").onclick = function () { $("code-input").value = ""; show("checkin"); $("code-input").focus(); };
    $("back-domains").onclick = function () { st.group = null; renderHome(); };
    $("checkin-back").onclick = goHome;
    $("checkin-ok").onclick = function () { checkIn($("code-input").value); };
    $("id-back").onclick = function () { show("home"); };
    $("id-skip").onclick = function () { issue(null); };
    $("id-ok").onclick = function () {
      var v = $("id-input").value.trim();
      if (v.length < 15) { toast(t("kiosk.id.invalid")); return; }
      issue(v);
    };
    $("ticket-done").onclick = goHome;
    keypad($("id-keypad"), Array.from("1234567890X⌫"), $("id-input"));
    keypad($("code-keypad"), Array.from("1234567890ABCDEFGHJKLMNPQRSTUVWXYZ⌫"), $("code-input"));
    HQ.onLang = function () { showHall(); renderHome(); idleTick(); };
    setInterval(function () { $("clock").textContent = HQ.clock(); idleTick(); }, 1000);
    $("clock").textContent = HQ.clock();
    HQ.live({
      ws: "/ws/halls/" + encodeURIComponent(hall) + "/display?token=" + encodeURIComponent(token),
      refresh: loadOverview, fast: 5000, slow: 20000, minGap: 3000,
      // Calls alone change nothing the kiosk shows; queue, window and hall changes do.
      onMessage: function (m) { return ["queue", "window", "hall", "snapshot"].indexOf(m.type) >= 0; }
    });
    pollScans();
    pollCards();
  }

  HQ.checkHall(hall).then(function (known) { if (known !== false) init(); });
})();
