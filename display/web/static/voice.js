/* Spoken calls on the hall screen: one announcement at a time, never over each other, and
 * never more than one announcement behind (the rules of display/voice/backlog.py):
 *  - a call that arrives while the speaker is silent: chime, then the call (the hall's
 *    repeat count, default once);
 *  - calls that arrive while an announcement plays wait; then everything that waited is
 *    said as ONE announcement, once, without a chime, merged when there are several
 *    ("请 A001 号到 3 号窗口，A002 号到 5 号窗口"); at most MAX_MERGE calls, the oldest dropped;
 *  - a call already waiting for the same ticket and window is not added twice.
 * Each WAV comes from the core (GET .../announcement.wav, clips joined offline);
 * ?voice=tts uses the browser's speechSynthesis instead, ?voice=off is silent. */
"use strict";

(function () {
  const H = window.Hallq;
  const mode = H.params.get("voice") || "wav";
  const MAX_MERGE = 4;
  const waiting = []; // {call, behind}
  let playing = false;
  // What was spoken, one entry per call, with the announcement's start and end times
  // and the calls said with it: the page tests read it.
  const log = [];

  function wavUrl(hall, calls, behind) {
    const [first, ...rest] = calls;
    const q = new URLSearchParams({ ticket: first.ticket, window: first.window });
    if (first.recall && calls.length === 1) q.set("recall", "true");
    for (const c of rest) q.append("also", `${c.ticket}-${c.window}`);
    if (behind) {
      q.set("repeat", "1");
      q.set("chime", "false");
    }
    return `/api/v1/halls/${encodeURIComponent(hall)}/announcement.wav?${q}`;
  }

  function speak(calls) {
    return new Promise((resolve) => {
      if (!("speechSynthesis" in window)) return resolve();
      const text = calls.map((c) => HQ.t("screen.call", { t: c.ticket, w: c.window })).join("，");
      const u = new SpeechSynthesisUtterance(text);
      u.lang = "zh-CN";
      u.rate = 1.0;
      u.onend = u.onerror = () => resolve();
      window.speechSynthesis.speak(u);
    });
  }

  function playWav(url) {
    return new Promise((resolve, reject) => {
      const audio = new Audio(url);
      let done = false;
      const finish = () => { if (!done) { done = true; resolve(); } };
      audio.onended = finish;
      audio.onerror = finish;
      // A stuck audio device must not stop the queue: give up after the clip's length.
      audio.onloadedmetadata = () => {
        const ms = (Number.isFinite(audio.duration) ? audio.duration : 15) * 1000 + 3000;
        setTimeout(finish, ms);
      };
      audio.play().catch((err) => {
        if (err && err.name === "NotAllowedError") reject(err);
        else finish();
      });
    });
  }

  /* The next announcement: the calls it says and whether they waited behind another. */
  function take() {
    const behind = waiting.some((w) => w.behind);
    const items = waiting.splice(0, waiting.length);
    const kept = behind || items.length > 1 ? items.slice(-MAX_MERGE) : items;
    return { calls: kept.map((w) => w.call), behind, items };
  }

  async function pump(hall) {
    if (playing) return;
    playing = true;
    while (waiting.length) {
      const next = take();
      const start = Date.now();
      const entries = next.calls.map((c) => ({
        ticket: c.ticket, window: c.window, start, end: null, with: next.calls.length,
      }));
      log.push(...entries);
      try {
        if (mode === "tts") await speak(next.calls);
        else await playWav(wavUrl(hall, next.calls, next.behind));
      } catch (err) {
        // Autoplay refused: put the calls back, wait for a touch on the screen, go on.
        log.splice(log.length - entries.length, entries.length);
        waiting.unshift(...next.items);
        playing = false;
        const button = document.getElementById("sound");
        button.textContent = HQ.t("screen.enable_sound");
        button.hidden = false;
        button.onclick = () => { button.hidden = true; pump(hall); };
        return;
      }
      const end = Date.now();
      for (const e of entries) e.end = end;
    }
    playing = false;
  }

  window.HallqVoice = {
    log,
    waiting,
    announce(hall, call) {
      if (mode === "off") return;
      const same = waiting.find((w) => w.call.ticket === call.ticket && w.call.window === call.window);
      if (same) return;
      waiting.push({ call, behind: playing });
      pump(hall);
    },
  };
})();
