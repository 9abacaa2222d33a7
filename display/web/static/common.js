/* Hall Queue displays: the live connection, language, colours and the clock.
 * Plain script, no libraries, nothing from the internet: the screens run offline. */
"use strict";

(function () {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") === "en" ? "en" : "zh";

  const TEXT = {
    zh: {
      window: (n) => `${n}号窗口`,
      serving: "正在办理",
      called: "请到本窗口办理",
      welcome: "欢迎光临",
      paused: "暂停服务",
      closed: "暂停服务",
      empty: "暂停服务",
      green: "绿色通道",
      appointment: "预约",
      latest: "最新叫号",
      call: (t, w) => `请 ${t} 号到 ${w} 号窗口办理`,
      windows: "窗口",
      current: "当前号",
      waiting: "等候人数",
      service: "办理事项",
      people: (n) => `${n} 人`,
      offline: "连接中断，正在重新连接…",
      defaultLine: "请留意屏幕叫号及语音提示，过号请到咨询台重新排队",
      noToken: "未配置设备令牌：请在地址后加上 ?token=设备令牌",
      enableSound: "点击此处开启语音播报",
      staff: (name, no) => `工作人员 ${name}${no ? "（工号 " + no + "）" : ""}`,
      weekdays: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    },
    en: {
      window: (n) => `Window ${n}`,
      serving: "Now serving",
      called: "Please come to this window",
      welcome: "Welcome",
      paused: "Service paused",
      closed: "Closed",
      empty: "Service paused",
      green: "Priority",
      appointment: "Appointment",
      latest: "Now calling",
      call: (t, w) => `Ticket ${t}, please go to window ${w}`,
      windows: "Window",
      current: "Ticket",
      waiting: "Waiting",
      service: "Service",
      people: (n) => `${n}`,
      offline: "Connection lost, reconnecting…",
      defaultLine: "Please watch the screens and listen for your number",
      noToken: "No device token: add ?token=DEVICE_TOKEN to the address",
      enableSound: "Tap here to turn on announcements",
      staff: (name, no) => `Staff ${name}${no ? " (No. " + no + ")" : ""}`,
      weekdays: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
    },
  };

  // Matter types told apart by colour (焦作 第三十条(四)): one colour per domain, chosen
  // from colours a red-green-yellow LED panel and a monitor both show clearly.
  const PALETTE = ["#ff3b30", "#34c759", "#ffcc00", "#00c7ff", "#ff9500", "#ff4fd8",
                   "#7cf0a0", "#b9a0ff"];
  const SPECIAL_COLOUR = "#00e5ff";
  const RESYNC_MS = 10 * 60 * 1000;

  function hashCode(text) {
    let h = 0;
    for (const ch of String(text)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
    return h;
  }

  /** Services by code, from a snapshot, with their colour and label. */
  function serviceIndex(services) {
    const domains = [...new Set(services.map((s) => s.domain).filter(Boolean))].sort();
    const index = {};
    for (const s of services) {
      let colour;
      if (s.kind === "special") colour = SPECIAL_COLOUR;
      else if (s.domain) colour = PALETTE[domains.indexOf(s.domain) % PALETTE.length];
      else colour = PALETTE[hashCode(s.code) % PALETTE.length];
      index[s.code] = { ...s, colour };
    }
    return index;
  }

  /** Where the page is: the hall code and, on a window's screen, its number. */
  function location_() {
    const parts = location.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    // /display/{hall} or /display/{hall}/window/{no}
    return { hall: parts[1], window: parts[2] === "window" ? parts[3] : null };
  }

  /**
   * Keep a display websocket open for ever: a snapshot on every (re)connect, then events
   * in sequence order; duplicates (seq not above the last one seen) are dropped.
   */
  function connect({ hall, window: win, onSnapshot, onEvent, onStatus }) {
    let delay = 500;
    let lastSeq = 0;
    const token = params.get("token");
    const state = { socket: null, lastSeq: () => lastSeq };
    function open() {
      const q = new URLSearchParams();
      if (token) q.set("token", token);
      if (win) q.set("window", win);
      const proto = location.protocol === "https:" ? "wss:" : "ws:";
      const url = `${proto}//${location.host}/ws/halls/${encodeURIComponent(hall)}/display?${q}`;
      const ws = new WebSocket(url);
      state.socket = ws;
      ws.onopen = () => { delay = 500; };
      ws.onmessage = (m) => {
        let msg;
        try { msg = JSON.parse(m.data); } catch (e) { return; }
        if (msg.type === "snapshot") {
          lastSeq = msg.seq || 0;
          onStatus(true);
          onSnapshot(msg);
          return;
        }
        if (typeof msg.seq === "number") {
          if (msg.seq <= lastSeq) return;
          lastSeq = msg.seq;
        }
        onEvent(msg);
      };
      ws.onclose = () => {
        onStatus(false, token ? null : TEXT[lang].noToken);
        // Jitter: a restarted core is not met by every screen of the city at one instant.
        setTimeout(open, delay * (0.5 + Math.random()));
        delay = Math.min(delay * 2, 10000);
      };
      ws.onerror = () => ws.close();
    }
    open();
    // Belt and braces: a fresh snapshot now and then, whatever may have been missed.
    setInterval(() => {
      const ws = state.socket;
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "resync" }));
    }, RESYNC_MS * (0.8 + 0.4 * Math.random()));
    return state;
  }

  /** A clock on the server's time (hall PCs drift) in the hall's time zone. */
  function makeClock(update) {
    let offset = 0;
    let zone = "Asia/Shanghai";
    function tick() {
      const now = new Date(Date.now() + offset);
      let parts;
      try {
        parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {
          timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short",
          hourCycle: "h23",
        }).formatToParts(now).map((p) => [p.type, p.value]));
      } catch (e) {
        return;
      }
      const wd = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(parts.weekday);
      update({
        date: lang === "zh" ? `${parts.year}年${parts.month}月${parts.day}日`
                            : `${parts.year}-${parts.month}-${parts.day}`,
        weekday: TEXT[lang].weekdays[wd] || "",
        time: `${parts.hour}:${parts.minute}:${parts.second}`,
      });
    }
    setInterval(tick, 1000);
    return {
      sync(serverIso, timezone) {
        if (timezone) zone = timezone;
        const t = Date.parse(serverIso);
        if (!Number.isNaN(t)) offset = t - Date.now();
        tick();
      },
    };
  }

  /** Set a marquee's text; it scrolls only when there is something to say. */
  function setMarquee(el, text) {
    text = text || TEXT[lang].defaultLine;
    const inner = el.querySelector(".marquee-text");
    if (inner.textContent === (text || "")) return;
    inner.textContent = text || "";
    el.classList.toggle("empty", !text);
    // Slow enough to read: about 12 characters a second across the width.
    inner.style.animationDuration = `${Math.max(10, (text || "").length / 4 + 8)}s`;
  }

  /** Shrink an element's font until its text fits its box (long window names, reasons). */
  function fit(node) {
    if (!node) return;
    node.style.fontSize = "";
    let size = parseFloat(getComputedStyle(node).fontSize);
    for (let i = 0; i < 40 && size > 8; i++) {
      if (node.scrollWidth <= node.clientWidth + 1) break;
      size *= 0.92;
      node.style.fontSize = `${size}px`;
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  window.Hallq = {
    lang, params, t: TEXT[lang], serviceIndex, where: location_, connect, makeClock,
    setMarquee, el, fit,
  };
})();
