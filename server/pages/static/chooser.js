/* The hall chooser (/) and a hall's page list (/halls/{hall}), on /static/hallq.js. */
(function () {
  "use strict";
  var h = HQ.h, t = HQ.t;

  HQ.addStrings({
    zh: {
      "pages.title": "Hall Queue 政务服务大厅排队叫号系统",
      "pages.intro": "请选择大厅，查看该大厅的取号机、叫号终端、屏幕和监控等全部页面地址。",
      "pages.filter": "按大厅名称或代码筛选", "pages.no_halls": "尚未配置任何大厅：请用 hallq load 载入大厅配置。",
      "pages.all_halls": "‹ 全部大厅",
      "pages.hall.intro": "本大厅的全部页面（供信息化人员安装调试时使用）。取号机和屏幕需在地址后加上设备令牌。",
      "pages.col.page": "页面", "pages.col.link": "地址", "pages.col.note": "说明", "pages.col.window": "窗口",
      "pages.page.kiosk": "取号机", "pages.page.counter": "叫号终端（窗口人员）",
      "pages.page.desk": "综合咨询服务台（帮办、绿色通道、重新取号）", "pages.page.hall_screen": "综合屏（大厅屏幕与语音播报）",
      "pages.page.monitor": "大厅监控（值班长）", "pages.page.reports": "统计报表", "pages.page.cases": "差评处置",
      "pages.page.presence": "去向牌 · AB岗", "pages.page.audit": "操作日志（电子监察）",
      "pages.needs_token": "需设备令牌：地址后加 ?token=…", "pages.needs_login": "用工号和密码登录",
      "pages.window_screen": "{n}号窗口屏", "pages.windows": "窗口屏（每个窗口上方的LED屏）",
      "pages.no_windows": "本大厅尚未配置窗口。",
      "pages.docs": "接口文档", "pages.docs.swagger": "接口文档（Swagger UI，可在线调试）",
      "pages.docs.redoc": "接口文档（ReDoc，便于阅读）",
      "pages.tokens": "设备令牌", "pages.tokens.how": "在服务器上为每台取号机、屏幕登记设备，命令会打印令牌（只显示一次）：",
      "pages.level.province": "省", "pages.level.city": "市", "pages.level.county": "县区",
      "pages.level.township": "乡镇", "pages.level.village": "村社区"
    },
    en: {
      "pages.title": "Hall Queue: queueing and calling for government service halls",
      "pages.intro": "Choose a hall to see the addresses of all its pages: kiosk, counter, screens, monitor.",
      "pages.filter": "Filter by hall name or code", "pages.no_halls": "No hall is configured yet: load one with hallq load.",
      "pages.all_halls": "‹ All halls",
      "pages.hall.intro": "Every page of this hall, for the IT person setting it up. Kiosks and screens need a device token in the address.",
      "pages.col.page": "Page", "pages.col.link": "Address", "pages.col.note": "Note", "pages.col.window": "Window",
      "pages.page.kiosk": "Ticket kiosk", "pages.page.counter": "Counter terminal (window staff)",
      "pages.page.desk": "Help desk (assisted tickets, priority lane, re-queue)", "pages.page.hall_screen": "Hall screen (with announcements)",
      "pages.page.monitor": "Hall monitor (operators)", "pages.page.reports": "Reports", "pages.page.cases": "Bad-review cases",
      "pages.page.presence": "Presence · A and B posts", "pages.page.audit": "Audit trail",
      "pages.needs_token": "needs a device token: add ?token=…", "pages.needs_login": "log in with job number and password",
      "pages.window_screen": "Window {n} screen", "pages.windows": "Window screens (the LED screen above each window)",
      "pages.no_windows": "This hall has no windows configured yet.",
      "pages.docs": "API documentation", "pages.docs.swagger": "API docs (Swagger UI, try requests)",
      "pages.docs.redoc": "API docs (ReDoc, for reading)",
      "pages.tokens": "Device tokens", "pages.tokens.how": "On the server, register each kiosk and screen; the command prints its token (shown once):",
      "pages.level.province": "province", "pages.level.city": "city", "pages.level.county": "county",
      "pages.level.township": "township", "pages.level.village": "village"
    }
  });

  var $ = function (id) { return document.getElementById(id); };
  var view = document.body.dataset.view;
  var data = null;

  function link(path) { return h("a", { href: path }, [location.origin + path]); }

  function renderHalls() {
    var q = $("filter").value.trim().toLowerCase();
    var list = data.filter(function (x) {
      return !q || x.code.toLowerCase().indexOf(q) >= 0 || x.name.toLowerCase().indexOf(q) >= 0 ||
        (x.name_en || "").toLowerCase().indexOf(q) >= 0;
    });
    $("none").hidden = data.length > 0;
    $("halls").replaceChildren.apply($("halls"), list.map(function (x) {
      return h("li", { "data-hall": x.code }, [
        h("a", { href: "/halls/" + encodeURIComponent(x.code) }, [HQ.name(x)]), " ",
        h("span", { class: "code" }, [x.code]),
        HQ.has("pages.level." + x.level) ? " · " + t("pages.level." + x.level) : ""
      ]);
    }));
  }

  function renderHall() {
    var name = HQ.name(data);
    $("hall-name").textContent = name + " (" + data.code + ")";
    document.title = name + " · Hall Queue";
    $("pages").tBodies[0].replaceChildren.apply($("pages").tBodies[0], data.pages.map(function (p) {
      return h("tr", { "data-page": p.page }, [
        h("td", {}, [t("pages.page." + p.page)]), h("td", {}, [link(p.path)]),
        h("td", { class: "note" }, [t(p.token ? "pages.needs_token" : "pages.needs_login")])
      ]);
    }));
    $("no-windows").hidden = data.windows.length > 0;
    $("windows").hidden = data.windows.length === 0;
    $("windows").tBodies[0].replaceChildren.apply($("windows").tBodies[0], data.windows.map(function (w) {
      return h("tr", { "data-window": w.number }, [
        h("td", {}, [t("pages.window_screen", { n: w.number }), " · ", HQ.name(w)]),
        h("td", {}, [link(w.path)]), h("td", { class: "note" }, [t("pages.needs_token")])
      ]);
    }));
    $("token-cmd").textContent = "hallq device --hall " + data.code + " --name kiosk-1 --kind kiosk\n" +
      "hallq device --hall " + data.code + " --name screen-1 --kind screen";
  }

  function render() { if (data) (view === "hall" ? renderHall : renderHalls)(); }

  HQ.langSwitch($("lang"));
  HQ.onLang = render;
  HQ.applyI18n();
  if (view === "hall") {
    var hall = HQ.segment(1);
    HQ.api("GET", HQ.hallApi(hall) + "/directory").then(function (d) { data = d; render(); },
      function (err) {
        if (err.code === "unknown_hall" || err.status === 404) HQ.missing("hall", { what: hall });
        else HQ.showError(err);
      });
  } else {
    $("filter").addEventListener("input", render);
    HQ.api("GET", "/api/v1/halls").then(function (d) { data = d; render(); }, HQ.showError);
  }
})();
