/* Rating one finished service (好差评, one rating per service): 5 非常满意 … 1 非常不满意. */
(function () {
  "use strict";
  var t = HQ.t, h = HQ.h;
  var id = HQ.segment(1);
  var st = { score: null };
  var $ = function (x) { return document.getElementById(x); };

  function render() {
    var box = $("scores");
    box.innerHTML = "";
    [5, 4, 3, 2, 1].forEach(function (s) {
      box.appendChild(h("button", { type: "button", class: "p-score" + (st.score === s ? " on" : ""),
        "data-score": s, onclick: function () { st.score = s; render(); } }, [t("score." + s)]));
    });
  }

  function submit() {
    if (!st.score) { $("result").textContent = t("rate.pick"); return; }
    HQ.api("POST", "/api/v1/tickets/" + encodeURIComponent(id) + "/evaluation",
           { score: st.score, comment: $("comment").value }).then(function () {
      $("result").textContent = t("rate.thanks");
      $("submit").disabled = true;
    }, function (err) {
      $("result").textContent = err.status === 404 || err.status === 405 ? t("rate.unavailable")
        : HQ.errorText(err);
    });
  }

  HQ.applyI18n();
  HQ.api("GET", "/api/v1/tickets/" + encodeURIComponent(id)).then(function (tk) {
    $("rate-number").textContent = tk.number + " · " + tk.service_name;
  }, function () { $("rate-number").textContent = t("ticket.missing"); });
  $("lang").onclick = HQ.toggleLang;
  $("submit").onclick = submit;
  HQ.onLang = render;
  render();
})();
