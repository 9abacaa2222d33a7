/* Rating one finished service (好差评, one rating per service): 5 非常满意 … 1 非常不满意. */
(function () {
  "use strict";
  var t = HQ.t, h = HQ.h;
  var id = HQ.segment(1);
  var key = HQ.params.get("k");  // the holder's rating key, from the ticket page
  // 差评 reasons: the evaluator's standard list (drivers.BAD_REVIEW_REASONS) from the core.
  var st = { score: null, reasons: [], picked: {} };
  var $ = function (x) { return document.getElementById(x); };

  function render() {
    var box = $("scores");
    box.innerHTML = "";
    [5, 4, 3, 2, 1].forEach(function (s) {
      box.appendChild(h("button", { type: "button", class: "p-score" + (st.score === s ? " on" : ""),
        "data-score": s, onclick: function () { st.score = s; render(); } }, [t("score." + s)]));
    });
    var bad = st.score !== null && st.score <= 2;
    $("reasons").hidden = !bad || !st.reasons.length;
    var list = $("reason-list");
    list.innerHTML = "";
    st.reasons.forEach(function (r) {
      var box = h("input", { type: "checkbox", value: r.code, checked: !!st.picked[r.code],
        onchange: function (e) { st.picked[r.code] = e.target.checked; } });
      list.appendChild(h("label", { class: "p-reason", "data-reason": r.code },
        [box, " ", HQ.lang === "en" ? r.en : r.zh]));
    });
  }

  function pickedReasons() {
    if (st.score === null || st.score > 2) return [];
    return st.reasons.filter(function (r) { return st.picked[r.code]; })
      .map(function (r) { return r.code; });
  }

  function submit() {
    if (!st.score) { $("result").textContent = t("rate.pick"); return; }
    HQ.api("POST", "/api/v1/tickets/" + encodeURIComponent(id) + "/rating",
           { level: st.score, reasons: pickedReasons(), comment: $("comment").value,
             key: key }).then(function () {
      $("result").textContent = t("rate.thanks");
      $("submit").disabled = true;
    }, function (err) {
      // A core without the evaluation domain has no such route (a bare 404 or 405).
      var missing = err.code === "http_404" || err.code === "http_405";
      $("result").textContent = missing ? t("rate.unavailable") : HQ.errorText(err);
      if (err.code === "already_rated") $("submit").disabled = true;
    });
  }

  HQ.applyI18n();
  HQ.api("GET", "/api/v1/tickets/" + encodeURIComponent(id)).then(function (tk) {
    $("rate-number").textContent = tk.number + " · " + HQ.name(tk, "service_name");
  }, function () { $("rate-number").textContent = t("ticket.missing"); });
  HQ.api("GET", "/api/v1/review-reasons").then(function (list) { st.reasons = list; render(); },
    function () { st.reasons = []; });
  $("lang").onclick = HQ.toggleLang;
  $("submit").onclick = submit;
  HQ.onLang = render;
  render();
})();
