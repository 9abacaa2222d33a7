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
  let blinkTimer = null;

  $("win-no").textContent = HQ.t("screen.window", { n: number });
  document.title = `${HQ.t("screen.window", { n: number })} · ${hall}`;

  function render() {
    const w = current;
    if (!w) return;
    $("win-name").textContent = w.name || "";
    const busy = (w.state === "called" || w.state === "serving") && w.ticket;
    screen.dataset.state = busy ? w.state : w.state === "idle" ? "idle" : "paused";
    const svc = busy && w.service ? services[w.service] : null;
    if (busy) {
      $("win-label").textContent = w.state === "called" ? HQ.t("screen.called") : HQ.t("screen.serving");
      $("win-ticket").textContent = w.ticket;
      $("win-tag").textContent = svc ? svc.name : "";
      screen.style.setProperty("--matter", svc ? svc.colour : "#ff3b30");
    } else {
      $("win-label").textContent = "";
      $("win-ticket").textContent = w.state === "idle" ? HQ.t("screen.welcome") : (HQ.has("screen." + w.state) ? HQ.t("screen." + w.state) : HQ.t("screen.paused"));
      $("win-tag").textContent = w.state === "paused" && w.paused_reason ? w.paused_reason : "";
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
    $("win-staff").textContent = w.staff ? HQ.t(w.staff_no ? "screen.staff_no" : "screen.staff", { name: w.staff, no: w.staff_no }) : "";
    fitAll();
  }

  function fitAll() {
    for (const id of ["win-no", "win-name", "win-tag", "win-ticket"]) H.fit($(id));
  }
  window.addEventListener("resize", fitAll);

  function blink() {
    screen.classList.remove("blink");
    void screen.offsetWidth; // restart the animation
    screen.classList.add("blink");
    clearTimeout(blinkTimer);
    blinkTimer = setTimeout(() => screen.classList.remove("blink"), 6000);
  }

  H.connect({
    hall,
    window: number,
    onStatus(ok, why) { $("offline").hidden = ok; $("offline").textContent = why || HQ.t("screen.offline"); },
    onSnapshot(snap) {
      services = H.serviceIndex(snap.services || []);
      current = (snap.windows || [])[0] || current;
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
      } else if (ev.type === "hall") {
        H.setMarquee($("marquee"), ev.scroll_text);
      }
    },
  });
})();
