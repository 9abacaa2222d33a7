/* The counter terminal (叫号终端): log in, pick a window and post, then work the queue. */
(function () {
  "use strict";
  var h = HQ.h, t = HQ.t;
  var hall = HQ.segment(1);
  var OUTCOMES = ["completed", "accepted", "correction_notice", "rejected", "consulted"];
  var PAUSES = ["rest", "out", "meeting", "other"];
  var fixedWindow = HQ.params.get("window");
  var KEYS = { F1: "call-next", F2: "recall", F3: "no-show", F4: "start", F5: "finish",
               F6: "transfer", F7: "pause", F8: "call", F9: "invite-rating" };
  var st = { token: sessionStorage.getItem("hq.counter.token"), me: null, choices: null,
             window: sessionStorage.getItem("hq.counter.window"), desk: null, live: null,
             dlg: null, busy: false };
  var $ = function (id) { return document.getElementById(id); };

  function show(name) {
    document.querySelectorAll(".view").forEach(function (v) { v.hidden = v.id !== "view-" + name; });
    document.body.dataset.view = name;
    $("signout").hidden = name !== "desk";
    $("logout").hidden = name === "login";
  }

  var toastTimer = null;
  function toast(text, kind) {
    var el = $("toast");
    el.textContent = text; el.className = "toast " + (kind || "error"); el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 5000);
  }

  function api(method, path, body) {
    return HQ.api(method, "/api/v1/halls/" + encodeURIComponent(hall) + path, body,
                  { token: st.token }).catch(function (err) {
      if (err.status === 401) { logout(); }
      throw err;
    });
  }

  /* ---------- login and window choice ---------- */

  function login(ev) {
    ev.preventDefault();
    HQ.api("POST", "/api/v1/auth/token", { username: $("job-no").value.trim(),
      password: $("password").value }, { form: true }).then(function (r) {
      st.token = r.access_token;
      sessionStorage.setItem("hq.counter.token", st.token);
      $("password").value = "";
      return loadChoices(true);
    }).catch(function (err) { toast(err.status === 401 ? t("counter.bad_login") : HQ.errorText(err)); });
  }

  /* ---------- badge scan (刷卡登录) ---------- */

  // The PC's own counter device token (?token= once, then kept): it authorises badge logins.
  var deviceToken = HQ.params.get("token");
  if (deviceToken) localStorage.setItem("hq.counter.device", deviceToken);
  deviceToken = localStorage.getItem("hq.counter.device");

  // A badge reader is a keyboard wedge: its characters come far faster than anyone types,
  // then Enter. On the login screen such a burst logs in by badge instead of submitting.
  var burst = { text: "", last: 0 };
  function onLoginKey(ev) {
    if (document.body.dataset.view !== "login") return;
    var now = Date.now();
    if (ev.key === "Enter") {
      var code = burst.text, quick = now - burst.last < 80;
      burst.text = "";
      if (code.length >= 4 && quick) {
        ev.preventDefault(); ev.stopPropagation();
        badgeLogin(code);
      }
      return;
    }
    if (ev.key.length !== 1) return;
    if (now - burst.last > 50) burst.text = "";
    burst.text += ev.key; burst.last = now;
  }

  function badgeLogin(code) {
    $("job-no").value = ""; $("password").value = "";
    if (!deviceToken) { toast(t("counter.badge.no_device")); return; }
    HQ.api("POST", "/api/v1/auth/badge", { badge: code }, { token: deviceToken }).then(function (r) {
      st.token = r.access_token;
      sessionStorage.setItem("hq.counter.token", st.token);
      return loadChoices(true);
    }).catch(function (err) {
      toast(err.status === 401 ? t("counter.badge.unknown") : HQ.errorText(err));
    });
  }

  function logout() {
    if (st.live) { st.live.stop(); st.live = null; }
    st.token = null; st.window = null;
    sessionStorage.removeItem("hq.counter.token"); sessionStorage.removeItem("hq.counter.window");
    $("who").textContent = "";
    show("login");
  }

  function loadChoices(resume) {
    return api("GET", "/counter").then(function (c) {
      st.choices = c; st.me = c.me;
      showHall();
      $("who").textContent = c.me.name + " (" + c.me.job_no + ")";
      var mine = c.windows.filter(function (w) { return w.mine; })[0];
      if (resume && mine && (!st.window || st.window === mine.number)) { openDesk(mine.number); return; }
      // A counter PC fixed to its window (/counter/HALL?window=3) signs in there at once,
      // unless someone else works it: taking over stays a deliberate choice.
      var fixed = c.windows.filter(function (w) { return w.number === fixedWindow; })[0];
      if (resume && !mine && fixed && !fixed.staff && fixed.state !== "closed") {
        renderChoices(); show("choose"); signIn(fixed); return;
      }
      renderChoices();
      show("choose");
    });
  }

  function stateText(w) { return t("wstate." + w.state); }

  function renderChoices() {
    var box = $("windows");
    box.innerHTML = "";
    st.choices.windows.forEach(function (w) {
      var other = w.staff && !w.mine;
      box.appendChild(h("button", { type: "button", class: "c-win state-" + w.state + (w.mine ? " mine" : ""),
        "data-window": w.number, disabled: w.state === "closed",
        onclick: function () { other ? confirmTakeover(w) : signIn(w); } }, [
        h("span", { class: "c-win-no" }, [t("counter.window_no", { n: w.number }) + (w.number === fixedWindow ? " ★" : "")]),
        h("span", { class: "c-win-name" }, [HQ.name(w)]),
        h("span", { class: "c-win-state" }, [stateText(w) + (w.staff ? " · " + w.staff + (w.post ? " " + w.post : "") : "")]),
        // AB岗 named in advance (邵阳 第十六条): who holds each post of this window.
        w.a_staff || w.b_staff ? h("span", { class: "c-win-posts" },
          [t("counter.posts", { a: w.a_staff || "—", b: w.b_staff || "—" })]) : null,
        other ? h("span", { class: "c-win-take" }, [t("counter.takeover_hint")]) : null
      ]));
    });
    renderPresence();
  }

  // 去向牌 (焦作 第三十条(五)): the staff member's own sign, set here; going away signs out.
  function renderPresence() {
    var box = $("presence");
    if (!box || !st.me) return;
    box.innerHTML = "";
    box.appendChild(h("span", {}, [t("counter.presence")]));
    ["on_duty", "out", "meeting", "leave"].forEach(function (p) {
      box.appendChild(h("button", { type: "button", class: "c-sign" + (st.me.presence === p ? " on" : ""),
        "data-presence": p, onclick: function () { setPresence(p); } }, [t("sign." + p)]));
    });
  }

  function setPresence(p) {
    api("PUT", "/presence/me", { presence: p, note: "" }).then(function (r) {
      st.me.presence = r.presence;
      toast(t("counter.presence_set", { p: t("sign." + r.presence) }), "info");
      loadChoices(false);
    }, function (err) { toast(HQ.errorText(err)); });
  }

  // Taking over a window someone else works moves their ticket to you: asked first.
  function confirmTakeover(w) {
    var post = document.querySelector("input[name=post]:checked").value;
    confirmDialog("dlg.takeover", t("confirm.takeover", { n: w.number, who: w.staff, p: post }),
      function () { signIn(w); return Promise.resolve(); });
  }

  function signIn(w) {
    var post = document.querySelector("input[name=post]:checked").value;
    api("POST", "/windows/" + encodeURIComponent(w.number) + "/sign-in", { post: post })
      .then(function () { openDesk(w.number); }, function (err) { toast(HQ.errorText(err)); });
  }

  /* ---------- the desk ---------- */

  function openDesk(number) {
    $("taken-over").hidden = true;
    st.window = number;
    sessionStorage.setItem("hq.counter.window", number);
    show("desk");
    if (st.live) st.live.stop();
    st.live = HQ.live({
      ws: "/ws/halls/" + encodeURIComponent(hall) + "/counter?window=" + encodeURIComponent(number) +
          "&token=" + encodeURIComponent(st.token),
      refresh: loadDesk, fast: 3000, slow: 15000, minGap: 1000,
      onMessage: function (m) {
        // The hub sends this window's waiting list itself whenever the queue moves.
        if (m.type === "waiting") { applyWaiting(m); return false; }
        return m.type !== "queue";
      }
    });
  }

  function applyWaiting(m) {
    if (!st.desk || m.window !== st.window || !Array.isArray(m.tickets)) return;
    // The same rows as the desk view's `waiting` (server/events/schemas.py WaitingRow).
    st.desk.waiting = m.tickets;
    st.desk.waiting_total = m.count;
    renderDesk();
  }

  function loadDesk() {
    if (!st.window) return Promise.resolve();
    var number = st.window;
    return api("GET", "/windows/" + encodeURIComponent(number) + "/desk").then(function (d) {
      if (st.window !== number) return;
      st.desk = d; HQ.learnOffset(d.at); $("clock").textContent = HQ.clock(); renderDesk();
    }, function (err) {
      if (err.status === 403 && st.window === number) {
        if (st.live) { st.live.stop(); st.live = null; }
        st.window = null; sessionStorage.removeItem("hq.counter.window");
        toast(t("counter.lost_window"));
        loadChoices(false).then(function () { toldTakenOver(number); }).catch(function () {});
      }
      throw err;
    });
  }

  // A staff member taken over is told by whom, and stays told until they act.
  function toldTakenOver(number) {
    var w = (st.choices.windows || []).filter(function (x) { return x.number === number; })[0];
    var box = $("taken-over");
    if (!w || !w.staff || w.mine) { box.hidden = true; return; }
    box.textContent = t("counter.taken_over", { n: number, who: w.staff, p: w.post || "B" });
    box.hidden = false;
    toast(box.textContent);
  }

  function hhmm(iso) { var m = /T(\d{2}:\d{2})/.exec(iso || ""); return m ? m[1] : "—"; }

  // Where the called ticket has been (transfers, 过号重排) and the note that came with it.
  function renderDetails(d) {
    var box = $("cur-details");
    box.innerHTML = "";
    (d.history || []).forEach(function (e) {
      if (e.action !== "transfer" && e.action !== "requeue" && e.action !== "reissue") return;
      var where = e.to_window ? t("counter.window_no", { n: e.to_window })
        : e.to_service ? e.to_service : "";
      box.appendChild(h("li", { "data-history": e.action }, [
        hhmm(e.at) + " " + t("history." + e.action) +
        (e.window ? " · " + t("counter.from_window", { n: e.window }) : "") +
        (e.staff ? " " + e.staff : "") + (where ? " → " + where : "") +
        (e.note ? "：" + e.note : "")]));
    });
    // The note, unless a transfer line above already says it.
    var told = (d.history || []).some(function (e) { return e.action === "transfer" && e.note === d.note; });
    if (d.note && !told) box.appendChild(h("li", { "data-history": "note", class: "c-note" }, [t("counter.note") + d.note]));
    box.hidden = !box.children.length;
  }

  function fmtDur(s) {
    if (s === null || s === undefined) return "—";
    var m = Math.floor(s / 60), r = s % 60;
    return m + ":" + ("0" + r).slice(-2);
  }

  function ratingText(r) {
    if (!r || !r.count) return t("today.ratings.none");
    return t("today.ratings.value", { n: r.count, avg: r.average, bad: r.bad });
  }

  /** The hall's name in the viewer's language (its English name when the hall gave one). */
  function showHall() {
    var info = (st.choices && st.choices.hall) || HQ.directory;
    if (!info) return;
    var title = $("title");
    title.removeAttribute("data-i18n");  // switching language must not bring 叫号终端 back
    title.textContent = HQ.name(info);
  }

  /** A service's name in the viewer's language, by its code (the hall's English name). */
  function svcName(code, fallback) {
    var s = st.choices && st.choices.services.filter(function (x) { return x.code === code; })[0];
    return s ? HQ.name(s) : fallback;
  }

  function renderDesk() {
    var d = st.desk, w = d.window, tk = d.ticket;
    $("who").textContent = (w.staff || "") + " · " + t("counter.window_no", { n: w.number }) + " " + HQ.name(w) +
      (w.post ? " · " + t("counter.post_is", { p: w.post }) : "");
    document.body.dataset.state = w.state;
    $("cur-state").textContent = stateText(w) + (w.paused_reason ? " · " + HQ.reason(w.paused_reason) : "");
    $("cur-number").textContent = tk ? tk.number : "—";
    $("cur-service").textContent = tk ? svcName(tk.service, tk.service_name) : t("counter.no_ticket");
    var meta = [];
    // The 绿色通道 category the citizen chose, and the booked slot, reach the counter.
    if (tk && tk.priority === "green") {
      meta.push(t("tag.green") + (tk.green_category ? "（" + t("green." + tk.green_category) + "）" : ""));
    }
    if (tk && (tk.priority === "appointment" || tk.slot_start)) {
      meta.push(tk.slot_start ? t("counter.slot", { from: hhmm(tk.slot_start), to: hhmm(tk.slot_end) })
                              : t("tag.appointment"));
    }
    if (tk && tk.recalls) meta.push(t("counter.recalls", { n: tk.recalls }));
    $("cur-meta").textContent = meta.join(" · ");
    renderDetails(d);
    $("current").dataset.status = tk ? tk.status : "none";
    var status = tk ? tk.status : null, paused = w.state === "paused";
    var enable = {
      "call-next": !paused && status !== "serving", "call": !paused && status !== "serving",
      "recall": status === "called", "no-show": status === "called", "start": status === "called",
      "finish": !!status, "transfer": !!status, "pause": !status, "invite-rating": true
    };
    document.querySelectorAll(".act").forEach(function (b) { b.disabled = !enable[b.dataset.act]; });
    $("pause-label").textContent = t(paused ? "act.resume" : "act.pause");
    var a = d.alarm, alarm = $("alarm");
    if (a.state === "paused") {
      alarm.hidden = false;
      alarm.className = "banner " + (a.alarm ? "alarm" : "warn");
      alarm.textContent = t(a.alarm ? "counter.alarm" : "counter.paused_for",
                            { m: a.minutes, max: a.threshold_min });
    } else { alarm.hidden = true; }
    var td = d.today;
    $("today").innerHTML = "";
    [["today.served", td.served], ["today.avg", fmtDur(td.avg_handle_s)],
     ["today.no_show", td.no_show], ["today.ratings", ratingText(td.ratings)]]
      .forEach(function (p) {
        $("today").appendChild(h("div", { class: "c-stat", "data-stat": p[0] }, [
          h("span", {}, [t(p[0])]), h("strong", {}, [String(p[1])])]));
      });
    $("waiting-total").textContent = String(d.waiting_total);
    var q = $("queue");
    q.innerHTML = "";
    d.waiting.forEach(function (x) {
      var tags = [];
      if (x.priority === "green") tags.push(h("span", { class: "tag green" }, [t("tag.green.short")]));
      if (x.priority === "appointment") tags.push(h("span", { class: "tag appt" }, [t("tag.appointment.short")]));
      if (x.transferred) tags.push(h("span", { class: "tag moved" }, [t("tag.transferred")]));
      q.appendChild(h("li", { "data-number": x.ticket }, [
        h("strong", {}, [x.ticket])].concat(tags, [
        h("span", { class: "q-svc" }, [svcName(x.service, x.service_name)]),
        h("span", { class: "q-wait" }, [t("counter.waited", { m: Math.floor(x.waited_s / 60) })])])));
    });
  }

  /* ---------- actions ---------- */

  // Every action is answered on screen; `handled` lets a caller deal with one refusal
  // itself (a dialog) instead of the error toast.
  function post(path, body, handled) {
    if (st.busy) return Promise.reject(new HQ.ApiError(429, "busy", "busy"));
    st.busy = true;
    return api("POST", "/windows/" + encodeURIComponent(st.window) + "/" + path, body || {})
      .then(function (r) { st.busy = false; loadDesk().catch(function () {}); return r; },
            function (err) {
              st.busy = false;
              if (!(handled && handled(err))) toast(HQ.errorText(err));
              loadDesk().catch(function () {});
              throw err;
            });
  }

  function said(key, vars) { toast(t(key, vars), "info"); }
  function numOf(r) { return r && r.ticket ? r.ticket.number : current(); }
  function current() { return st.desk && st.desk.ticket ? st.desk.ticket.number : ""; }

  function callNext(confirmed) {
    var body = confirmed ? { confirm_no_show: true } : {};
    var was = current();
    return post("call-next", body, function (err) {
      // Never a silent 过号: a ticket called a moment ago is only marked a no-show on a yes.
      if (err.code !== "confirm_no_show") return false;
      confirmNoShowThenNext(was);
      return true;
    }).then(function (r) {
      if (r === null) said(confirmed ? "said.no_show_nobody" : "counter.nobody", { n: was });
      else if (confirmed) said("said.no_show_called", { old: was, n: numOf(r) });
      else said("said.called", { n: numOf(r) });
      return r;
    });
  }

  function confirmNoShowThenNext(number) {
    var recall = h("button", { type: "button", class: "btn", id: "dlg-recall" }, [t("act.recall")]);
    recall.onclick = function () {
      closeDialog();
      post("recall").then(function (r) { said("said.recalled", { n: numOf(r), k: r.ticket ? r.ticket.recalls : "" }); },
                          function () {});
    };
    dialog("dlg.confirm_no_show", [
      h("p", { class: "c-confirm", id: "dlg-text" }, [t("confirm.no_show_next", { n: number })]), recall
    ], function () { return callNext(true); }, "confirm.no_show_next.ok");
  }

  function finishDialog() {
    var materials = (st.desk && st.desk.materials) || [];
    var picks = h("fieldset", { id: "f-missing", class: "c-missing", hidden: true }, [
      h("legend", {}, [t("dlg.missing")])].concat(materials.map(function (m) {
        return h("label", { class: "opt" }, [h("input", { type: "checkbox", name: "missing", value: m }),
          h("span", {}, [m])]);
      }), [h("textarea", { id: "f-missing-other", maxlength: "500", placeholder: t("dlg.missing.other") })]));
    var radios = OUTCOMES.map(function (o, i) {
      var input = h("input", { type: "radio", name: "outcome", value: o, checked: i === 0 });
      input.onchange = function () { picks.hidden = o !== "correction_notice" || !input.checked; };
      return h("label", { class: "opt" }, [input, h("span", {}, [(i + 1) + " · " + t("outcome." + o)])]);
    });
    dialog("dlg.finish", radios.concat([picks,
      h("textarea", { id: "f-note", maxlength: "500", placeholder: t("dlg.note") })]), function () {
      var o = document.querySelector("input[name=outcome]:checked").value;
      var body = { outcome: o, note: $("f-note").value };
      if (o === "correction_notice") {
        body.missing = Array.prototype.map.call(
          document.querySelectorAll("input[name=missing]:checked"), function (x) { return x.value; });
        body.missing_other = $("f-missing-other").value.trim();
        if (!body.missing.length && !body.missing_other) { toast(t("dlg.missing.pick")); return Promise.reject(); }
      }
      var was = current();
      return post("finish", body).then(function (r) {
        var text = t("said.finished", { n: was, o: t("outcome." + o) });
        if (r && r.print) text += t(r.print.state === "pending" || r.print.state === "printed"
                                    ? "said.notice_printing" : "said.notice_not_printed");
        toast(text, "info");
      });
    });
  }

  function act(name) {
    var btn = document.querySelector('.act[data-act="' + name + '"]');
    if (!btn || btn.disabled || st.dlg) return;
    var quiet = function () {};
    var was = current();
    if (name === "call-next") {
      callNext(false).catch(quiet);
    } else if (name === "recall") {
      post("recall").then(function (r) {
        if (r && r.ticket && r.ticket.status === "no_show") said("said.recall_limit", { n: was });
        else said("said.recalled", { n: was, k: r && r.ticket ? r.ticket.recalls : "" });
      }, quiet);
    } else if (name === "no-show") {
      dialog("dlg.no_show", [h("p", { class: "c-confirm", id: "dlg-text" }, [t("confirm.no_show", { n: was })])],
        function () { return post("no-show").then(function () { said("said.no_show", { n: was }); }); },
        "act.no_show");
    } else if (name === "start") {
      post("start").then(function () { said("said.started", { n: was }); }, quiet);
    } else if (name === "finish") {
      finishDialog();
    } else if (name === "transfer") {
      var c = st.choices || { services: [], windows: [] };
      var svc = h("select", { id: "x-service" }, [h("option", { value: "" }, [t("dlg.transfer.to_service")])]
        .concat(c.services.map(function (s) { return h("option", { value: s.code }, [HQ.name(s) + " (" + s.code + ")"]); })));
      var win = h("select", { id: "x-window" }, [h("option", { value: "" }, [t("dlg.transfer.to_window")])]
        .concat(c.windows.filter(function (w) { return w.number !== st.window && w.state !== "closed"; })
          .map(function (w) { return h("option", { value: w.number }, [t("counter.window_no", { n: w.number }) + " " + HQ.name(w)]); })));
      svc.onchange = function () { if (svc.value) win.value = ""; };
      win.onchange = function () { if (win.value) svc.value = ""; };
      dialog("dlg.transfer", [svc, win, h("textarea", { id: "x-note", maxlength: "500", placeholder: t("dlg.note") })], function () {
        if (!svc.value && !win.value) { toast(t("dlg.transfer.pick")); return Promise.reject(); }
        var body = svc.value ? { service: svc.value } : { window: win.value };
        var where = svc.value ? svc.options[svc.selectedIndex].text : win.options[win.selectedIndex].text;
        body.note = $("x-note").value;
        return post("transfer", body).then(function () { said("said.transferred", { n: was, to: where }); });
      });
    } else if (name === "pause") {
      if (st.desk && st.desk.window.state === "paused") {
        post("resume").then(function () { said("said.resumed"); }, quiet);
        return;
      }
      dialog("dlg.pause", PAUSES.map(function (p, i) {
        return h("label", { class: "opt" }, [h("input", { type: "radio", name: "reason", value: p, checked: i === 0 }),
          h("span", {}, [t("pause." + p)])]);
      }).concat([h("input", { id: "p-detail", maxlength: "150", placeholder: t("dlg.pause.detail") })]), function () {
        var r = document.querySelector("input[name=reason]:checked").value;
        var detail = $("p-detail").value.trim();
        // Stored as a code (and the detail as typed): every viewer reads it in their language.
        return post("pause", { reason: r + (detail ? ": " + detail : "") })
          .then(function () { said("said.paused"); });
      });
    } else if (name === "call") {
      dialog("dlg.call", [h("input", { id: "c-number", maxlength: "200", placeholder: "A001", autocomplete: "off" })], function () {
        return numberOf($("c-number").value).then(function (n) { return post("call", { number: n }); })
          .then(function (r) { said("said.called", { n: numOf(r) }); });
      });
    } else if (name === "invite-rating") {
      post("invite-rating").then(function (r) { toast(t("counter.rating_sent", { n: r.ticket }), "info"); }, quiet);
    }
  }

  /** A typed number, or the number of a ticket whose QR code (…/t/ID) was scanned. */
  function numberOf(text) {
    text = text.trim();
    var m = /\/t\/([A-Za-z0-9_-]+)/.exec(text);
    if (!m) return Promise.resolve(text.toUpperCase());
    return HQ.api("GET", "/api/v1/tickets/" + encodeURIComponent(m[1])).then(function (tk) { return tk.number; },
      function (err) { toast(HQ.errorText(err)); throw err; });
  }

  function dialog(titleKey, body, onOk, okKey) {
    var dlg = $("dlg");
    $("dlg-title").textContent = t(titleKey);
    $("dlg-ok").textContent = t(okKey || "common.ok");
    var box = $("dlg-body");
    box.innerHTML = "";
    body.forEach(function (el) { box.appendChild(el); });
    st.dlg = onOk;
    dlg.dataset.kind = titleKey;
    dlg.showModal();
    var first = box.querySelector("input:not([type]), select");
    if (first) first.focus();
    else if (box.querySelector(".c-confirm")) $("dlg-ok").focus();
  }

  function confirmDialog(titleKey, text, onOk) {
    dialog(titleKey, [h("p", { class: "c-confirm", id: "dlg-text" }, [text])], onOk);
  }

  function closeDialog() { st.dlg = null; $("dlg").close(); }

  function onKey(ev) {
    if (st.dlg) {
      var typing = /^(TEXTAREA|INPUT)$/.test(ev.target.tagName) && ev.target.type !== "radio" &&
        ev.target.type !== "checkbox";
      if (/^[1-5]$/.test(ev.key) && $("dlg").dataset.kind === "dlg.finish" && !typing) {
        var radios = document.querySelectorAll("input[name=outcome]");
        radios[Number(ev.key) - 1].checked = true; ev.preventDefault();
      }
      return;
    }
    if (document.body.dataset.view !== "desk") return;
    var name = KEYS[ev.key];
    if (name) { ev.preventDefault(); act(name); }
  }

  function init() {
    HQ.applyI18n();
    $("login-form").addEventListener("submit", login);
    document.addEventListener("keydown", onLoginKey, true);
    $("lang").onclick = HQ.toggleLang;
    $("help").onclick = function () { toast(t("counter.keys.help"), "info"); };
    // Closing a window (签退, or logging out from it) is asked first and answered.
    $("logout").onclick = function () {
      var w = st.window;
      if (!w) { logout(); return; }
      confirmDialog("dlg.close", t("confirm.close", { n: w }), function () {
        return api("POST", "/windows/" + encodeURIComponent(w) + "/sign-out").catch(function () {})
          .then(function () { logout(); said("said.closed", { n: w }); });
      });
    };
    $("signout").onclick = function () {
      var w = st.window;
      confirmDialog("dlg.close", t("confirm.close", { n: w }), function () {
        return api("POST", "/windows/" + encodeURIComponent(w) + "/sign-out").then(function () {
          if (st.live) { st.live.stop(); st.live = null; }
          st.window = null; sessionStorage.removeItem("hq.counter.window");
          said("said.closed", { n: w });
          return loadChoices(false);
        }, function (err) { toast(HQ.errorText(err)); throw err; });
      });
    };
    document.querySelectorAll(".act").forEach(function (b) { b.onclick = function () { act(b.dataset.act); }; });
    $("dlg-cancel").onclick = closeDialog;
    $("dlg").addEventListener("cancel", function () { st.dlg = null; });
    $("dlg-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var fn = st.dlg;
      if (!fn) return;
      Promise.resolve().then(fn).then(closeDialog, function () { /* keep the dialog open */ });
    });
    document.addEventListener("keydown", onKey);
    showHall();
    HQ.onLang = function () {
      showHall();
      if (st.desk && document.body.dataset.view === "desk") renderDesk();
      if (st.choices && document.body.dataset.view === "choose") renderChoices();
    };
    setInterval(function () { $("clock").textContent = HQ.clock(); }, 1000);
    $("clock").textContent = HQ.clock();
    if (!st.token) { show("login"); return; }
    loadChoices(true).catch(function () { show("login"); });
  }

  HQ.checkHall(hall, { window: fixedWindow }).then(function (known) { if (known !== false) init(); });
})();
