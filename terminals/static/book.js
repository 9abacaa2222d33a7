/* 预约办事: choose a service, a day and a slot, give an ID or mobile number, get a booking
   code; "my bookings" lists them by ID or mobile number and cancels. Times are shown in
   the hall's own time (the offset the core sends), never the phone's time zone. */
(function () {
  "use strict";
  var HQ = window.HQ;
  var hall = HQ.segment(1);
  var base = "/api/v1/halls/" + encodeURIComponent(hall);
  var offer = null, chosen = null, days = [], dayIndex = 0, slot = null, lastProof = null;
  var $ = function (id) { return document.getElementById(id); };
  var VIEWS = ["closed", "services", "slots", "form", "done", "mine"];

  function show(id) { VIEWS.forEach(function (x) { $(x).hidden = x !== id; }); }
  function hhmm(iso) { return iso.slice(11, 16); }
  function dayLabel(iso) {
    var d = new Date(iso + "T12:00:00Z");
    var names = HQ.lang === "en" ? ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
      : ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
    return [iso.slice(5).replace("-", "/"), names[d.getUTCDay()]];
  }
  function when(a) { return a.slot_start.slice(0, 10) + " " + hhmm(a.slot_start) + "–" + hhmm(a.slot_end); }

  function tab(mine) {
    $("tab-new").classList.toggle("on", !mine);
    $("tab-mine").classList.toggle("on", mine);
    if (mine) { show("mine"); } else { render(); }
  }

  function render() {
    if (!offer) return;
    $("centre").textContent = offer.hall_name + " · " + HQ.t("book.title");
    if (!offer.enabled) { $("closed-text").textContent = HQ.t("book.off"); show("closed"); return; }
    if (!chosen) {
      var list = $("service-list");
      list.textContent = "";
      offer.services.forEach(function (s) {
        list.appendChild(HQ.h("button", { type: "button", class: "ph-service", "data-service": s.code,
          onclick: function () { choose(s); } }, [s.name, HQ.h("small", { text: s.code })]));
      });
      show("services");
      return;
    }
    $("chosen").textContent = chosen.name;
    renderDays();
    show("slots");
  }

  function renderDays() {
    var strip = $("days");
    strip.textContent = "";
    days.forEach(function (d, i) {
      var label = dayLabel(d.date);
      var free = d.slots.some(function (s) { return s.bookable; });
      strip.appendChild(HQ.h("button", { type: "button", class: i === dayIndex ? "on" : "",
        "data-day": d.date, disabled: free ? null : "disabled",
        onclick: function () { dayIndex = i; renderDays(); } },
        [HQ.h("span", { text: label[0] }), HQ.h("small", { text: free ? label[1] : HQ.t("book.closed") })]));
    });
    var grid = $("slot-list");
    grid.textContent = "";
    var day = days[dayIndex];
    var open = day ? day.slots.filter(function (s) { return s.refusal !== "past"; }) : [];
    $("day-note").textContent = open.some(function (s) { return s.bookable; }) ? "" : HQ.t("book.no_slots");
    open.forEach(function (s) {
      grid.appendChild(HQ.h("button", { type: "button", class: "bk-slot" + (s.extended ? " extended" : ""),
        "data-start": s.start, disabled: s.bookable ? null : "disabled",
        onclick: function () { pick(s); } },
        [HQ.h("strong", { text: hhmm(s.start) + "–" + hhmm(s.end) }),
         HQ.h("small", { text: (s.extended ? HQ.t("book.extended") + " · " : "") +
           (s.free > 0 ? HQ.t("book.free", { n: s.free }) : HQ.t("book.full")) })]));
    });
  }

  function choose(service) {
    chosen = service;
    HQ.api("GET", base + "/appointments/slots?service=" + encodeURIComponent(service.code) +
      "&days=" + Math.min(offer.horizon_days + 1, 31)).then(function (data) {
      days = data.days;
      dayIndex = Math.max(0, days.findIndex(function (d) { return d.slots.some(function (s) { return s.bookable; }); }));
      render();
    }, function (err) { $("closed-text").textContent = HQ.errorText(err); show("closed"); });
  }

  function pick(s) {
    slot = s;
    $("when").textContent = chosen.name + " · " + s.start.slice(0, 10) + " " + hhmm(s.start) + "–" + hhmm(s.end);
    $("error").textContent = "";
    $("remind-box").hidden = !offer.sms_reminders;
    show("form");
  }

  function proof(text) {
    var v = text.replace(/[\s-]/g, "");
    return /^(\+?86)?1[3-9]\d{9}$/.test(v) ? { phone: v } : { id_number: v.toUpperCase() };
  }

  function submit(ev) {
    ev.preventDefault();
    var id = $("id-number").value.replace(/\s/g, ""), phone = $("phone").value.replace(/[\s-]/g, "");
    if (!id && !phone) { $("error").textContent = HQ.t("book.need_one"); return; }
    var body = { service: chosen.code, slot_start: slot.start };
    if (id) body.id_number = id.toUpperCase();
    if (phone) body.phone = phone;
    if ($("remind").checked && offer.sms_reminders) { body.remind = true; body.lang = HQ.lang; }
    $("submit").disabled = true;
    HQ.api("POST", base + "/bookings", body).then(function (a) {
      $("submit").disabled = false;
      $("code").textContent = a.code;
      $("done-what").textContent = a.service_name + " · " + when(a);
      show("done");
    }, function (err) {
      $("submit").disabled = false;
      $("error").textContent = HQ.errorText(err);
      if (err.code === "full") choose(chosen);
    });
  }

  function lookup(ev) {
    if (ev) ev.preventDefault();
    var v = $("mine-id").value.trim();
    if (!v) { $("mine-error").textContent = HQ.t("book.need_one"); return; }
    lastProof = proof(v);
    $("mine-error").textContent = "";
    HQ.api("POST", base + "/bookings/mine", lastProof).then(renderMine, function (err) {
      $("mine-error").textContent = HQ.errorText(err);
    });
  }

  function renderMine(items) {
    var list = $("mine-list");
    list.textContent = "";
    if (!items.length) { list.appendChild(HQ.h("p", { class: "ph-hint", text: HQ.t("book.mine.none") })); return; }
    items.forEach(function (a) {
      var parts = [HQ.h("strong", { text: a.code }), HQ.h("span", { text: a.service_name + " · " + when(a) }),
        HQ.h("span", { class: "p-status", "data-status": a.status, text: HQ.t("book.status." + a.status) })];
      if (a.status === "booked") {
        parts.push(HQ.h("button", { type: "button", "data-cancel": a.code, text: HQ.t("book.cancel"),
          onclick: function () { cancel(a.code); } }));
      }
      list.appendChild(HQ.h("div", { class: "bk-item", "data-code": a.code }, parts));
    });
  }

  function cancel(code) {
    HQ.api("POST", base + "/bookings/" + encodeURIComponent(code) + "/cancel", lastProof)
      .then(function () { lookup(); }, function (err) { $("mine-error").textContent = HQ.errorText(err); });
  }

  HQ.applyI18n();
  HQ.onLang = function () { if (!$("mine").hidden) { lookup(); } else if ($("done").hidden) { render(); } };
  $("lang").addEventListener("click", HQ.toggleLang);
  $("tab-new").addEventListener("click", function () { tab(false); });
  $("tab-mine").addEventListener("click", function () { tab(true); });
  $("back").addEventListener("click", function () { chosen = null; render(); });
  $("back-slots").addEventListener("click", function () { choose(chosen); });
  $("again").addEventListener("click", function () { chosen = null; render(); });
  $("form").addEventListener("submit", submit);
  $("mine").addEventListener("submit", lookup);
  HQ.api("GET", base + "/appointments/offer").then(function (data) { offer = data; render(); },
    function (err) {
      if (err.code === "unknown_hall") { HQ.missing("hall", { what: hall }); return; }
      $("closed-text").textContent = HQ.errorText(err);
      show("closed");
    });
})();
