/* The citizen's ticket page (/t/{id}): live place in the queue, the call, then a rating. */
(function () {
  "use strict";
  var t = HQ.t;
  var id = HQ.segment(1);
  // The rating key (k) comes with the holder's address (the printed QR code, the phone
  // page); the rating page needs it. Without it the page still follows the queue.
  var key = HQ.params.get("k");
  var st = { ticket: null, lastCall: null };
  var $ = function (x) { return document.getElementById(x); };

  function load() {
    return HQ.api("GET", "/api/v1/tickets/" + encodeURIComponent(id)).then(function (tk) {
      st.ticket = tk; HQ.learnOffset(tk.issued_at); render();
    }, function (err) {
      if (err.status === 404) { $("missing").hidden = false; $("card").hidden = true; }
      throw err;
    });
  }

  function render() {
    var tk = st.ticket;
    if (!tk) return;
    $("card").hidden = false;
    document.body.dataset.status = tk.status;
    // A 补正告知 is not 已办结: the citizen comes back with what is missing (焦作 第三十八条).
    var corrected = tk.status === "done" && tk.outcome === "correction_notice";
    $("status").textContent = t(corrected ? "status.correction" : "status." + tk.status);
    document.body.dataset.outcome = tk.outcome || "";
    $("number").textContent = tk.number;
    $("service").textContent = HQ.name(tk, "service_name");
    if (tk.hall_name) {  // the centre's own name instead of the generic title
      $("centre").removeAttribute("data-i18n");
      $("centre").textContent = HQ.name(tk, "hall_name");
    }
    var called = tk.status === "called";
    $("called").hidden = !(called || tk.status === "serving");
    $("window").textContent = tk.window ? t("ticket.window_no", { n: tk.window }) : "";
    $("window-name").textContent = HQ.name(tk, "window_name");
    $("waiting").hidden = tk.status !== "waiting";
    // Said honestly: priority tickets of other matters (绿色通道, due bookings) that this
    // ticket's windows call first count as ahead, and the page says so.
    var first = tk.served_first || 0;
    $("ahead").textContent = t("ticket.ahead.n", { n: (tk.ahead || 0) + first });
    $("first").hidden = !(tk.status === "waiting" && first > 0);
    $("first").textContent = t("ticket.first", { m: first });
    $("wait").textContent = tk.status === "waiting" && first > 0 && !tk.estimated_wait_s
      ? t("ticket.wait.after_first") : HQ.fmtWait(tk.estimated_wait_s);
    $("note").textContent = t(corrected ? "ticket.note.correction" : "ticket.note." + tk.status);
    renderNotice(tk);
    var rate = $("rate");
    rate.hidden = tk.status !== "done" || !key;
    rate.href = "/t/" + encodeURIComponent(tk.id) + "/rate?k=" + encodeURIComponent(key || "");
    $("updated").textContent = HQ.clock();
    // A new call (or a recall) buzzes the phone once, where the phone allows it.
    var callKey = called ? tk.called_at + "#" + tk.recalls : null;
    if (callKey && callKey !== st.lastCall && navigator.vibrate) {
      try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* not allowed */ }
    }
    if (callKey && callKey !== st.lastCall) document.body.dataset.buzz = callKey;
    st.lastCall = callKey;
  }

  function renderNotice(tk) {
    var n = tk.notice, box = $("notice");
    box.hidden = !n;
    if (!n) return;
    $("notice-intro").textContent = t("ticket.notice.intro", { service: n.service_name || tk.service_name });
    var ol = $("notice-items");
    ol.innerHTML = "";
    (n.materials || []).concat(n.other ? [n.other] : []).forEach(function (m) {
      ol.appendChild(HQ.h("li", {}, [m]));
    });
    $("notice-by").textContent = t("ticket.notice.by", {
      hall: n.hall_name, window: n.window, staff: n.staff, date: String(n.at || "").slice(0, 10) });
  }

  HQ.applyI18n();
  $("lang").onclick = HQ.toggleLang;
  HQ.onLang = render;
  HQ.live({
    ws: "/ws/tickets/" + encodeURIComponent(id), refresh: load, fast: 4000, slow: 20000,
    onMessage: function (m) {
      // The hub sends the ticket's whole view; anything else (a call) asks for a fresh one.
      if (m.ticket && typeof m.ticket === "object" && m.ticket.id === id) {
        st.ticket = m.ticket; render(); return false;
      }
      return true;
    }
  });
})();
