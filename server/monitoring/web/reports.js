/* Reports: a period by a dimension, as a table and a chart, exported to CSV or Excel. */
(function () {
  "use strict";
  const { HALL, t, el, api, start, minutes, lang } = HQM.common;
  let chart = null, last = null;
  const COLS = [["col.name", (r) => (r.key === null ? t("unassigned." + last.by) : r.label)], ["col.issued", (r) => r.issued], ["col.served", (r) => r.served],
    ["col.no_show_rate", (r) => r.no_show_rate], ["col.wait_avg", (r) => minutes(r.wait_avg_s)],
    ["col.wait_p90", (r) => minutes(r.wait_p90_s)], ["col.handle_avg", (r) => minutes(r.handle_avg_s)],
    ["col.handle_p90", (r) => minutes(r.handle_p90_s)], ["col.transfers", (r) => r.transfers],
    ["col.one_time", (r) => r.one_time_notice], ["col.rated", (r) => r.rated],
    ["col.satisfaction", (r) => r.satisfaction], ["col.cases", (r) => r.cases], ["col.pause", (r) => minutes(r.pause_s)]];

  function query(fmt) {
    const q = new URLSearchParams({ period: document.getElementById("period").value, by: document.getElementById("by").value,
      format: fmt, lang: lang() });
    const day = document.getElementById("day").value; if (day) q.set("day", day);
    if (document.getElementById("below").checked) q.set("below", "true");
    return `/api/v1/halls/${encodeURIComponent(HALL)}/reports?` + q;
  }

  function render(r) {
    last = r;
    document.getElementById("hall-name").textContent = HQ.name(r, "hall_name");
    document.querySelector("#report thead").replaceChildren(el("tr", {}, ...COLS.map(([k]) => el("th", {}, t(k)))));
    const rows = [...r.rows, Object.assign({}, r.total, { label: t("total") })];
    document.querySelector("#report tbody").replaceChildren(...rows.map((row) =>
      el("tr", {}, ...COLS.map(([, get], i) => el("td", { class: i ? "num" : "" }, get(row) ?? t("no_data"))))));
    const c = r.case_rates;
    document.getElementById("summary").textContent = `${r.label} (${r.start} – ${r.end}) · ${r.halls.join(", ")} · ` +
      HQM.rates(c);
    if (!window.echarts) return;
    chart = chart || echarts.init(document.getElementById("chart-report"), "dark");
    chart.setOption({ backgroundColor: "transparent", animation: false, tooltip: { trigger: "axis" },
      legend: { data: [t("col.served"), t("col.wait_avg")], top: 0 }, grid: { left: 50, right: 50, top: 40, bottom: 60 },
      xAxis: { type: "category", data: r.rows.map((x) => x.label), axisLabel: { rotate: 20 } },
      yAxis: [{ type: "value" }, { type: "value" }],
      series: [{ name: t("col.served"), type: "bar", barMaxWidth: 60, data: r.rows.map((x) => x.served) },
               { name: t("col.wait_avg"), type: "line", yAxisIndex: 1, data: r.rows.map((x) => x.wait_avg_s === null ? null : +(x.wait_avg_s / 60).toFixed(1)) }] }, true);
  }

  async function download(url, name) {
    const blob = await api(url);
    const a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(a); a.click(); a.remove();
  }

  async function show() { render(await api(query("json"))); }

  document.getElementById("report-form").addEventListener("submit", (e) => { e.preventDefault(); show(); });
  document.getElementById("csv").onclick = () => download(query("csv"), `report-${HALL}.csv`);
  document.getElementById("xlsx").onclick = () => download(query("xlsx"), `report-${HALL}.xlsx`);
  document.getElementById("sheet-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const job = document.getElementById("sheet-job").value.trim();
    const day = document.getElementById("day").value;
    download(`/api/v1/halls/${encodeURIComponent(HALL)}/reports/staff/${encodeURIComponent(job)}?format=xlsx` + (day ? "&month=" + day : ""), `sheet-${job}.xlsx`);
  });
  start(show);
  window.HQM.reports = { last: () => last };
})();
