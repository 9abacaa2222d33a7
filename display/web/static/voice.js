/* Spoken calls on the hall screen: one at a time, in arrival order, never over each other.
 * Each call's WAV comes from the core (clips joined offline, the template said twice);
 * ?voice=tts uses the browser's speechSynthesis instead, ?voice=off is silent. */
"use strict";

(function () {
  const H = window.Hallq;
  const mode = H.params.get("voice") || "wav";
  const queue = [];
  let playing = false;
  // What was spoken, with start and end times: the page tests read it.
  const log = [];

  function wavUrl(hall, call) {
    const q = new URLSearchParams({ ticket: call.ticket, window: call.window });
    if (call.recall) q.set("recall", "true");
    return `/api/v1/halls/${encodeURIComponent(hall)}/announcement.wav?${q}`;
  }

  function speak(text) {
    return new Promise((resolve) => {
      if (!("speechSynthesis" in window)) return resolve();
      let left = 2; // said twice, like the clip engine
      const once = () => {
        const u = new SpeechSynthesisUtterance(text);
        u.lang = "zh-CN";
        u.rate = 0.9;
        u.onend = u.onerror = () => (--left > 0 ? once() : resolve());
        window.speechSynthesis.speak(u);
      };
      once();
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

  async function pump(hall) {
    if (playing) return;
    playing = true;
    while (queue.length) {
      const call = queue[0];
      const entry = { ticket: call.ticket, window: call.window, start: Date.now(), end: null };
      log.push(entry);
      try {
        if (mode === "tts") await speak(H.t.call(call.ticket, call.window));
        else await playWav(wavUrl(hall, call));
      } catch (err) {
        // Autoplay refused: wait for a touch on the screen, then go on.
        log.pop();
        playing = false;
        const button = document.getElementById("sound");
        button.textContent = H.t.enableSound;
        button.hidden = false;
        button.onclick = () => { button.hidden = true; pump(hall); };
        return;
      }
      entry.end = Date.now();
      queue.shift();
    }
    playing = false;
  }

  window.HallqVoice = {
    log,
    queue,
    announce(hall, call) {
      if (mode === "off") return;
      queue.push(call);
      pump(hall);
    },
  };
})();
