/* The help desk (综合咨询服务台, 焦作 第二十九条): issue a ticket for a citizen, check a
 * booking in, look a ticket up and re-queue, reprint, cancel or re-issue it, print 办事指南. */
(function () {
  "use strict";
  var h = HQ.h, t = HQ.t;
  var hall = HQ.segment(1);
  var CANCEL_REASONS = ["desk.reason.gave_up", "desk.reason.wrong_matter", "desk.reason.duplicate"];
  var st = { token: sessionStorage.getItem("hq.desk.token"), ov: null, found: null, dlg: null,
             tab: "issue", printTimer: null };
  var $ = function (id) { return document.getElementById(id); };

  var toastTimer = null;
  function toast(text, kind) {
    var el = $("toast");
    el.textContent = text; el.className = "toast " + (kind || "error"); el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 5000);
  }

  function api(method, path, body) {
    return HQ.api(method, HQ.hallApi(hall) + path, body, { token: st.token }).catch(function (err) {
      if (err.status === 401) logout();
      throw err;
    });
  }
  function fail(err) { toast(HQ.errorText(err)); throw err; }

  function show(name) {
    document.querySelectorAll(".view").forEach(function (v) { v.hidden = v.id !== "view-" + name; });
    document.body.dataset.view = name;
    $("logout").hidden = name === "login";
  }

  /* ---------- log in ---------- */

  function login(ev) {
    ev.preventDefault();
    HQ.api("POST", "/api/v1/auth/token", { username: $("job-no").value.trim(),
      password: $("password").value }, { form: true }).then(function (r) {
      st.token = r.access_token;
      sessionStorage.setItem("hq.desk.token", st.token);
      $("password").value = "";
      return load();
    }).catch(function (err) { toast(err.status === 401 ? t("counter.bad_login") : HQ.errorText(err)); });
  }

  function logout() {
    st.token = null; st.ov = null;
    sessionStorage.removeItem("hq.desk.token");
    $("who").textContent = "";
    show("login");
  }

  function load() {
    return api("GET", "/desk").then(function (ov) {
      st.ov = ov;
      $("title").textContent = ov.hall.name + " · " + t("desk.title");
      $("who").textContent = ov.me.name + " (" + ov.me.job_no + ")";
      renderForms();
      show("desk");
      tab(st.tab);
    }, function (err) {
      if (err.status === 403) { toast(HQ.errorText(err)); logout(); }
      throw err;
    });
  }

  function serviceOptions(select, keep) {
    var before = keep ? select.value : "";
    select.innerHTML = "";
    st.ov.services.forEach(function (s) {
      select.appendChild(h("option", { value: s.code }, [s.name + "（" + s.code + "）· " +
        t("desk.waiting", { n: s.waiting })]));
    });
    if (before) select.value = before;
  }

  function renderForms() {
    serviceOptions($("i-service"), true);
    serviceOptions($("g-service"), true);
    var cat = $("i-category"), before = cat.value;
    cat.innerHTML = "";
    st.ov.green_categories.forEach(function (c) {
      cat.appendChild(h("option", { value: c }, [t("green." + c)]));
    });
    if (before) cat.value = before;
    renderGuide();
  }

  function tab(name) {
    st.tab = name;
    document.querySelectorAll(".d-tab").forEach(function (b) { b.classList.toggle("on", b.dataset.tab === name); });
    ["issue", "booking", "lookup", "guide"].forEach(function (n) { $("tab-" + n).hidden = n !== name; });
    var first = $("tab-" + name).querySelector("input:not([type=radio]), select");
    if (first) first.focus();
  }

  /* ---------- the answer, large enough to read out to the citizen ---------- */

  function answer(titleKey, number, text, kind) {
    var box = $("result");
    box.hidden = false;
    box.dataset.kind = kind || "ok";
    $("result-title").textContent = t(titleKey);
    $("result-number").textContent = number || "";
    $("result-text").textContent = text || "";
  }

  function printText(job) {
    if (!job) return "";
    if (job.state === "failed") return t("print.failed") + (job.detail ? "（" + t("print.why." + job.detail) + "）" : "");
    return t(job.state === "printed" ? "desk.print.printed" : "desk.print.pending");
  }

  // Follow a print job until the agent answers, as the kiosk does.
  function followPrint(job, base) {
    clearTimeout(st.printTimer);
    var el = $("result");
    if (!job) return;
    el.dataset.print = job.state;
    var until = Date.now() + 8000;
    (function poll() {
      if (job.state !== "pending") return;
      st.printTimer = setTimeout(function () {
        api("GET", "/print-jobs/" + encodeURIComponent(job.job)).then(function (r) {
          if (r.state === "pending" && Date.now() < until) { poll(); return; }
          job = r; el.dataset.print = r.state;
          $("result-text").textContent = base + (r.state === "pending" ? t("print.unknown") : printText(r));
        }, function () { if (Date.now() < until) poll(); });
      }, 600);
    })();
  }

  function ticketAnswer(titleKey, r, extra) {
    var tk = r.ticket;
    var base = tk.service_name + " · " + (tk.ahead === null || tk.ahead === undefined ? "" :
      t("desk.ahead", { n: tk.ahead + (tk.served_first || 0) }) + " · ") + (extra || "");
    answer(titleKey, tk.number, base + printText(r.print));
    $("result").dataset.ticket = tk.id;
    followPrint(r.print, base);
  }

  /* ---------- issue (取号) ---------- */

  function issue(ev) {
    ev.preventDefault();
    var priority = document.querySelector("input[name=priority]:checked").value;
    var body = { service: $("i-service").value, priority: priority, channel: "desk" };
    if (priority === "green") body.green_reason = $("i-category").value;
    var id = $("i-id").value.trim();
    if (id) body.id_number = id;
    api("POST", "/desk/tickets", body).then(function (r) {
      $("i-id").value = "";
      ticketAnswer("desk.issued", r, r.ticket.priority === "green"
        ? t("tag.green") + "（" + t("green." + r.ticket.green_category) + "）· " : "");
      refresh();
    }, fail).catch(function () {});
  }

  /* ---------- bookings (预约) ---------- */

  function findBookings(ev) {
    ev.preventDefault();
    var q = "?" + encodeURIComponent($("b-by").value) + "=" + encodeURIComponent($("b-value").value.trim());
    api("GET", "/desk/appointments" + q).then(renderBookings, fail).catch(function () {});
  }

  function renderBookings(list) {
    var ul = $("b-list");
    ul.innerHTML = "";
    if (!list.length) { ul.appendChild(h("li", { class: "d-empty" }, [t("desk.booking.none")])); return; }
    list.forEach(function (a) {
      var open = a.status === "booked";
      ul.appendChild(h("li", { "data-code": a.code }, [
        h("strong", {}, [a.code]), " ", a.service_name, " · ",
        (a.slot_start || "").slice(11, 16) + "–" + (a.slot_end || "").slice(11, 16), " · ",
        h("span", { class: "d-state" }, [t("desk.booking." + a.status) + (a.ticket ? " " + a.ticket : "")]),
        open ? h("button", { type: "button", class: "btn ok", "data-check-in": a.code,
          onclick: function () { checkIn(a.code); } }, [t("desk.check_in")]) : null
      ]));
    });
  }

  function checkIn(code) {
    api("POST", "/desk/appointments/" + encodeURIComponent(code) + "/check-in").then(function (r) {
      ticketAnswer("desk.checked_in", r, t("counter.slot", { from: (r.ticket.slot_start || "").slice(11, 16),
                                                             to: (r.ticket.slot_end || "").slice(11, 16) }) + " · ");
      $("b-go").click();
    }, fail).catch(function () {});
  }

  /* ---------- look a ticket up, and what can be done with it ---------- */

  function lookup(number) {
    number = (number || $("l-number").value).trim().toUpperCase();
    if (!number) return Promise.resolve();
    return api("GET", "/desk/tickets/" + encodeURIComponent(number)).then(function (r) {
      st.found = r; renderFound();
    }, function (err) { st.found = null; $("l-card").hidden = true; fail(err); });
  }

  function renderFound() {
    var r = st.found, tk = r.ticket;
    $("l-card").hidden = false;
    $("l-card").dataset.status = tk.status;
    $("l-ticket-number").textContent = tk.number;
    $("l-status").textContent = t("status." + tk.status) +
      (tk.close_reason ? "（" + (HQ.has("desk.reason." + tk.close_reason) ? t("desk.reason." + tk.close_reason) : tk.close_reason) + "）" : "");
    $("l-service").textContent = tk.service_name;
    var meta = [t("desk.issued_at", { at: (tk.issued_at || "").slice(11, 16) })];
    if (tk.priority === "green") meta.push(t("tag.green") + (tk.green_category ? "（" + t("green." + tk.green_category) + "）" : ""));
    if (tk.slot_start) meta.push(t("counter.slot", { from: tk.slot_start.slice(11, 16), to: (tk.slot_end || "").slice(11, 16) }));
    if (tk.status === "waiting") meta.push(t("desk.ahead", { n: (tk.ahead || 0) + (tk.served_first || 0) }));
    if (tk.window) meta.push(t("counter.window_no", { n: tk.window }));
    $("l-meta").textContent = meta.join(" · ");
    var notice = $("l-notice");
    notice.hidden = !tk.notice;
    if (tk.notice) {
      var items = (tk.notice.materials || []).concat(tk.notice.other ? [tk.notice.other] : []);
      notice.textContent = t("desk.notice", { items: items.join("、") });
    }
    var ol = $("l-history");
    ol.innerHTML = "";
    r.history.forEach(function (e) {
      var bits = [(e.at || "").slice(11, 19), t("hist." + e.action)];
      if (e.window) bits.push(t("counter.window_no", { n: e.window }));
      if (e.staff) bits.push(e.staff);
      if (e.to_window) bits.push("→ " + t("counter.window_no", { n: e.to_window }));
      if (e.to_service) bits.push("→ " + e.to_service);
      if (e.new_ticket_number) bits.push("→ " + e.new_ticket_number);
      if (e.old_ticket_number) bits.push("← " + e.old_ticket_number);
      if (e.reason && e.reason !== "reissued") bits.push(e.reason);
      if (e.note) bits.push(e.note);
      ol.appendChild(h("li", { "data-action": e.action }, [bits.join(" · ")]));
    });
    var s = tk.status;
    var can = { requeue: s === "no_show", reprint: s === "waiting" || s === "called" || s === "no_show",
                reissue: s !== "called" && s !== "serving", notice: !!tk.notice,
                cancel: s === "waiting" || s === "no_show" };
    document.querySelectorAll("[data-do]").forEach(function (b) { b.disabled = !can[b.dataset.do]; });
  }

  function doOnFound(what) {
    var tk = st.found && st.found.ticket;
    if (!tk) return;
    var path = "/desk/tickets/" + encodeURIComponent(tk.id);
    if (what === "requeue") {
      api("POST", "/desk/requeue", { number: tk.number }).then(function (r) {
        answer("desk.requeued", r.ticket.number, t("desk.requeued.text", {
          n: (r.ticket.ahead || 0) + (r.ticket.served_first || 0) }));
        return lookup(tk.number);
      }, fail).catch(function () {});
    } else if (what === "reprint") {
      api("POST", path + "/reprint").then(function (r) {
        ticketAnswer("desk.reprinted", r, "");
      }, fail).catch(function () {});
    } else if (what === "notice") {
      api("POST", path + "/notice/print").then(function (r) {
        answer("desk.notice_printed", tk.number, printText(r.print));
        followPrint(r.print, "");
      }, fail).catch(function () {});
    } else if (what === "cancel") {
      dialog("desk.cancel.title", [h("p", { class: "c-confirm", id: "dlg-text" }, [t("desk.cancel.ask", { n: tk.number })])]
        .concat(CANCEL_REASONS.map(function (k, i) {
          return h("label", { class: "opt" }, [h("input", { type: "radio", name: "reason", value: t(k), checked: i === 0 }),
            h("span", {}, [t(k)])]);
        }), [h("input", { id: "cancel-other", maxlength: "200", placeholder: t("desk.reason.other") })]), function () {
        var other = $("cancel-other").value.trim();
        var reason = other || document.querySelector("input[name=reason]:checked").value;
        return api("POST", path + "/cancel", { reason: reason }).then(function () {
          answer("desk.cancelled", tk.number, reason);
          return lookup(tk.number);
        }, fail);
      }, "desk.do.cancel");
    } else if (what === "reissue") {
      var sel = h("select", { id: "reissue-service" }, []);
      serviceOptions(sel, false);
      sel.value = tk.service;
      dialog("desk.reissue.title", [h("p", { class: "c-confirm", id: "dlg-text" }, [t(
        tk.status === "waiting" || tk.status === "no_show" ? "desk.reissue.ask_open" : "desk.reissue.ask", { n: tk.number })]), sel],
      function () {
        return api("POST", path + "/reissue", { service: sel.value }).then(function (r) {
          ticketAnswer("desk.reissued", r, t("desk.reissued.old", { n: tk.number }) + " · ");
          refresh();
          return lookup(tk.number);
        }, fail);
      }, "desk.do.reissue");
    }
  }

  /* ---------- 办事指南 ---------- */

  function renderGuide() {
    var code = $("g-service").value;
    var svc = st.ov.services.filter(function (s) { return s.code === code; })[0];
    var ol = $("g-materials");
    ol.innerHTML = "";
    if (!svc) return;
    if (!svc.materials.length) ol.appendChild(h("li", { class: "d-empty" }, [t("desk.guide.none")]));
    svc.materials.forEach(function (m) { ol.appendChild(h("li", {}, [m])); });
  }

  function printGuide() {
    var code = $("g-service").value;
    api("POST", "/desk/services/" + encodeURIComponent(code) + "/guide/print").then(function (r) {
      var svc = st.ov.services.filter(function (s) { return s.code === code; })[0];
      answer("desk.guide.printed", "", svc.name + " · " + printText(r.print));
      followPrint(r.print, svc.name + " · ");
    }, fail).catch(function () {});
  }

  function refresh() {
    return api("GET", "/desk").then(function (ov) { st.ov = ov; renderForms(); }, function () {});
  }

  /* ---------- dialog ---------- */

  function dialog(titleKey, body, onOk, okKey) {
    $("dlg-title").textContent = t(titleKey);
    $("dlg-ok").textContent = t(okKey || "common.ok");
    var box = $("dlg-body");
    box.innerHTML = "";
    body.forEach(function (el) { box.appendChild(el); });
    st.dlg = onOk;
    $("dlg").dataset.kind = titleKey;
    $("dlg").showModal();
  }

  function closeDialog() { st.dlg = null; $("dlg").close(); }

  function init() {
    HQ.applyI18n();
    $("lang").onclick = HQ.toggleLang;
    $("login-form").addEventListener("submit", login);
    $("logout").onclick = logout;
    document.querySelectorAll(".d-tab").forEach(function (b) { b.onclick = function () { tab(b.dataset.tab); }; });
    $("tab-issue").addEventListener("submit", issue);
    document.querySelectorAll("input[name=priority]").forEach(function (r) {
      r.onchange = function () { $("i-category").disabled = r.value !== "green" || !r.checked; };
    });
    $("tab-booking").addEventListener("submit", findBookings);
    $("l-form").addEventListener("submit", function (ev) { ev.preventDefault(); lookup().catch(function () {}); });
    document.querySelectorAll("[data-do]").forEach(function (b) { b.onclick = function () { doOnFound(b.dataset.do); }; });
    $("g-service").onchange = renderGuide;
    $("g-print").onclick = printGuide;
    $("dlg-cancel").onclick = closeDialog;
    $("dlg").addEventListener("cancel", function () { st.dlg = null; });
    $("dlg-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var fn = st.dlg;
      if (fn) Promise.resolve().then(fn).then(closeDialog, function () { /* keep it open */ });
    });
    HQ.onLang = function () {
      if (st.ov) { renderForms(); if (st.found) renderFound(); }
    };
    setInterval(function () { $("clock").textContent = HQ.clock(); }, 1000);
    $("clock").textContent = HQ.clock();
    if (!st.token) { show("login"); return; }
    load().catch(function () { show("login"); });
  }

  init();
})();
