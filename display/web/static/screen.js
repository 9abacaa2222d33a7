/* What the screens share on top of /static/hallq.js: where the screen is, the matter
 * colours, the live display stream, the clock, the scrolling line and text fitting.
 * Plain script, no libraries, nothing from the internet: the screens run offline. */
"use strict";

(function () {
  const t = HQ.t;

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
  function where() {
    // /display/{hall} or /display/{hall}/window/{no}
    return { hall: HQ.segment(1), window: HQ.segment(2) === "window" ? HQ.segment(3) : null };
  }

  /**
   * Keep the display stream open for ever: a snapshot on every (re)connect, then events in
   * sequence order; duplicates (seq not above the last one seen) are dropped.
   */
  function connect({ hall, window: win, onSnapshot, onEvent, onStatus }) {
    let lastSeq = 0;
    const token = HQ.params.get("token");
    const q = new URLSearchParams();
    if (token) q.set("token", token);
    if (win) q.set("window", win);
    const sock = HQ.socket({
      url: `/ws/halls/${encodeURIComponent(hall)}/display?${q}`,
      min: 500, max: 10000,
      onMessage(msg) {
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
      },
      onClose() { onStatus(false, token ? null : t("screen.no_token")); },
    });
    // Belt and braces: a fresh snapshot now and then, whatever may have been missed.
    setInterval(() => sock.send({ type: "resync" }), RESYNC_MS * (0.8 + 0.4 * Math.random()));
    return { socket: sock.socket, lastSeq: () => lastSeq };
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
        date: t("screen.date", { y: parts.year, m: parts.month, d: parts.day }),
        weekday: wd >= 0 ? t("weekday." + wd) : "",
        time: `${parts.hour}:${parts.minute}:${parts.second}`,
      });
    }
    setInterval(tick, 1000);
    return {
      sync(serverIso, timezone) {
        if (timezone) zone = timezone;
        const ms = Date.parse(serverIso);
        if (!Number.isNaN(ms)) offset = ms - Date.now();
        tick();
      },
    };
  }

  /** Set a marquee's text; it scrolls only when there is something to say. */
  function setMarquee(el, text) {
    text = text || t("screen.default_line");
    const inner = el.querySelector(".marquee-text");
    if (inner.textContent === text) return;
    inner.textContent = text;
    el.classList.toggle("empty", !text);
    // Slow enough to read: about 12 characters a second across the width.
    inner.style.animationDuration = `${Math.max(10, text.length / 4 + 8)}s`;
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

  window.Hallq = { params: HQ.params, serviceIndex, where, connect, makeClock, setMarquee, el, fit };
})();
