/* 线上取号: choose a service, give a mobile number, optionally ask for 到号提醒, then
   follow the ticket on its own page (/t/{id}). Opened from the hall's QR at the door; in
   WeChat the page arrives with ?code=… from WeChat's login, which enables WeChat notices. */
(function () {
  "use strict";
  var HQ = window.HQ;
  var hall = HQ.segment(1);
  var wechatCode = HQ.params.get("code");
  var offer = null, chosen = null;
  var $ = function (id) { return document.getElementById(id); };

  function show(id) {
    ["closed", "services", "form"].forEach(function (x) { $(x).hidden = x !== id; });
  }

  function render() {
    if (!offer) return;
    $("centre").textContent = offer.hall_name + " · " + HQ.t("phone.title");
    if (!offer.enabled || !offer.open_now) {
      $("closed-text").textContent = !offer.enabled ? HQ.t("phone.off")
        : HQ.t("phone.closed." + (offer.refusal || "closed_hours"));
      show("closed");
      return;
    }
    var list = $("service-list");
    list.textContent = "";
    offer.services.forEach(function (s) {
      list.appendChild(HQ.h("button", {
        type: "button", class: "ph-service", "data-service": s.code,
        onclick: function () { choose(s); }
      }, [s.name, HQ.h("small", { text: s.code })]));
    });
    $("opt-sms").hidden = offer.channels.indexOf("sms") < 0;
    $("opt-wechat").hidden = offer.channels.indexOf("wechat") < 0 || !wechatCode;
    $("limit").textContent = offer.daily_limit ? HQ.t("phone.limit", { n: offer.daily_limit }) : "";
    var select = $("ahead"), keep = select.value || String(offer.notice_ahead);
    select.textContent = "";
    for (var n = 1; n <= offer.notice_ahead_max; n++) {
      select.appendChild(HQ.h("option", { value: String(n), text: HQ.t("phone.ahead.n", { n: n }) }));
    }
    select.value = keep;
    if (chosen) { $("chosen").textContent = chosen.name; show("form"); } else { show("services"); }
  }

  function choose(service) {
    chosen = service;
    $("error").textContent = "";
    render();
    $("phone").focus();
  }

  function noticeChoice() {
    var picked = document.querySelector("input[name=notice]:checked");
    return picked ? picked.value : "none";
  }

  function syncNotice() { $("ahead-box").hidden = noticeChoice() === "none"; }

  function submit(ev) {
    ev.preventDefault();
    var phone = $("phone").value.replace(/[\s-]/g, "");
    if (!/^(\+?86)?1[3-9]\d{9}$/.test(phone)) { $("error").textContent = HQ.t("phone.bad_number"); return; }
    var body = { service: chosen.code, phone: phone, lang: HQ.lang };
    var channel = noticeChoice();
    if (channel !== "none") {
      body.notice = { channel: channel, ahead: Number($("ahead").value) };
      if (channel === "wechat") body.notice.wechat_code = wechatCode;
    }
    $("take").disabled = true;
    HQ.api("POST", "/api/v1/halls/" + encodeURIComponent(hall) + "/phone/tickets", body)
      .then(function (data) {
        // The holder's own address carries the rating key (k): only this phone may rate.
        location.href = "/t/" + encodeURIComponent(data.ticket.id) +
          (data.rating_key ? "?k=" + encodeURIComponent(data.rating_key) : "");
      }, function (err) {
        $("error").textContent = HQ.errorText(err);
        $("take").disabled = false;
      });
  }

  function load() {
    return HQ.api("GET", "/api/v1/halls/" + encodeURIComponent(hall) + "/phone").then(function (data) {
      offer = data;
      render();
    }, function (err) {
      $("closed-text").textContent = HQ.errorText(err);
      show("closed");
    });
  }

  HQ.applyI18n();
  HQ.onLang = render;
  $("lang").addEventListener("click", HQ.toggleLang);
  $("form").addEventListener("submit", submit);
  $("back").addEventListener("click", function () { chosen = null; render(); });
  document.querySelectorAll("input[name=notice]").forEach(function (r) {
    r.addEventListener("change", syncNotice);
  });
  load();
})();
