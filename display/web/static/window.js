/* The LED screen above one window (焦作 第三十条(四)): the window's number and name, the
 * number being served, its matter type by colour and label, 暂停服务 / 欢迎光临. */
"use strict";

(function () {
  const H = window.Hallq;
  const { hall, window: number } = H.where();
  const $ = (id) => document.getElementById(id);
  const screen = $("screen");
  let services = {};
  let current = null;
  let nextTicket = null;  // 请 X 号准备, when the hall shows it (rule screen_next_ticket)
  let blinkTimer = null;

  $("win-no").textContent = HQ.t("screen.window", { n: number });
  document.title = `${HQ.t("screen.window", { n: number })} · ${hall}`;

  /** What the screen says for a window with no ticket: 欢迎光临, 无人值守, 暂停服务, 窗口关闭. */
  function stateText(state) {
    if (state === "idle") return HQ.t("screen.welcome");
    return HQ.has("screen." + state) ? HQ.t("screen." + state) : HQ.t("screen.paused");
  }

  function render() {
    const w = current;
    if (!w) return;
    $("win-name").textContent = HQ.name(w) || w.name || "";
    const busy = (w.state === "called" || w.state === "serving") && w.ticket;
    // called and serving are told apart on every panel size: the label (shown on the wide
    // panel too) and a frame round a called number (display.css).
    screen.dataset.state = busy ? w.state : ["idle", "empty", "closed"].includes(w.state) ? w.state : "paused";
    const svc = busy && w.service ? services[w.service] : null;
    if (busy) {
      $("win-label").textContent = w.state === "called" ? HQ.t("screen.called") : HQ.t("screen.serving");
      $("win-ticket").textContent = w.ticket;
      $("win-tag").textContent = svc ? HQ.name(svc) : "";
      screen.style.setProperty("--matter", svc ? svc.colour : "#ff3b30");
    } else {
      $("win-label").textContent = "";
      $("win-ticket").textContent = stateText(w.state);
      $("win-tag").textContent = w.state === "paused" && w.paused_reason ? HQ.reason(w.paused_reason) : "";
      screen.style.removeProperty("--matter");
    }
    // 去向牌 (焦作 第三十条(五)): the window's staff member away (休假, 外出, 会议),
    // shown while no ticket is up.
    const away = !busy && w.presence && HQ.has("screen.presence." + w.presence);
    screen.dataset.presence = away ? w.presence : "";
    if (away) {
      $("win-tag").textContent = HQ.t("screen.sign", { name: w.presence_staff || "",
        where: HQ.t("screen.presence." + w.presence) }) + (w.presence_note ? ` · ${w.presence_note}` : "");
    }
    $("win-next").textContent = nextTicket && w.state !== "closed" && w.state !== "empty"
      ? HQ.t("screen.next", { t: nextTicket }) : "";
    $("win-staff").textContent = w.staff ? HQ.t(w.staff_no ? "screen.staff_no" : "screen.staff", { name: w.staff, no: w.staff_no }) : "";
    fitAll();
  }

  function fitAll() {
    for (const id of ["win-no", "win-name", "win-tag", "win-ticket", "win-label", "win-next"]) H.fit($(id));
  }
  window.addEventListener("resize", fitAll);

  function blink() {
    screen.classList.remove("blink");
    void screen.offsetWidth; // restart the animation
    screen.classList.add("blink");
    clearTimeout(blinkTimer);
    blinkTimer = setTimeout(() => screen.classList.remove("blink"), 6000);
  }

  // An unknown hall or window says so (with the way back) instead of reconnecting for ever.
  HQ.checkHall(hall, { window: number }).then((known) => { if (known !== false) start(); });

  function start() { H.connect({
    hall,
    window: number,
    onStatus(ok, why) { $("offline").hidden = ok; $("offline").textContent = why || HQ.t("screen.offline"); },
    onSnapshot(snap) {
      services = H.serviceIndex(snap.services || []);
      current = (snap.windows || [])[0] || current;
      nextTicket = snap.next ? snap.next[number] || null : null;
      H.setMarquee($("marquee"), snap.scroll_text);
      render();
    },
    onEvent(ev) {
      if (ev.type === "window" && ev.number === number) {
        current = ev;
        render();
      } else if (ev.type === "call" && ev.window === number) {
        // The call comes just before its window event: show it at once and blink.
        current = { ...(current || {}), state: "called", ticket: ev.ticket,
                    service: ev.service, name: ev.window_name || (current && current.name) };
        render();
        blink();
      } else if (ev.type === "next") {
        nextTicket = (ev.windows || {})[number] || null;
        render();
      } else if (ev.type === "hall") {
        H.setMarquee($("marquee"), ev.scroll_text);
      }
    },
  }); }
})();
