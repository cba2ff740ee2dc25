/* The staff check-in page (events/templates/events/checkin.html). Every scan gets a nonce and
   its scan time here, goes into a queue in localStorage, and is sent from the queue; a scan that
   could not be sent waits there (marked offline) until the connection returns. The server
   records each nonce once, so sending a scan twice is harmless. */
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root) return;
  var scanUrl = root.dataset.scanUrl;
  var storeKey = "lojal-checkin-queue-" + root.dataset.event;
  var result = document.getElementById("checkin-result");
  var queueNote = document.getElementById("checkin-queue");
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    localStorage.setItem(storeKey, JSON.stringify(queue));
    queueNote.hidden = queue.length === 0;
    queueNote.textContent = queue.length ? root.dataset.msgQueued + " (" + queue.length + ")" : "";
  }
  function show(message, kind) {
    result.hidden = false;
    result.className = "alert checkin-result alert--" + kind;
    result.textContent = message;
  }
  function nonce() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function scan(code) {
    code = (code || "").trim();
    if (!code) return;
    var queue = load();
    queue.push({ code: code, nonce: nonce(), scanned_at: new Date().toISOString(), offline: !navigator.onLine });
    save(queue);
    if (!navigator.onLine) show(root.dataset.msgQueued, "warning");
    flush();
  }

  function flush() {
    if (sending) return;
    var queue = load();
    if (!queue.length) return;
    sending = true;
    var item = queue[0];
    fetch(scanUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(item)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      var rest = load().filter(function (queued) { return queued.nonce !== item.nonce; });
      save(rest);
      sending = false;
      var data = answer.data || {};
      if (answer.status === 200 && data.ok) show(data.message, "success");
      else if (answer.status === 200 && data.flagged) show(root.dataset.msgFlagged + " " + data.message, "warning");
      else show(data.message || String(answer.status), "error");
      if (rest.length) flush();
    }).catch(function () {
      // No connection: keep the scan, mark it (and the rest) offline, try again later.
      save(load().map(function (queued) { queued.offline = true; return queued; }));
      sending = false;
      show(root.dataset.msgQueued, "warning");
    });
  }

  document.getElementById("checkin-code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("checkin-code");
    scan(input.value);
    input.value = "";
    input.focus();
  });
  Array.prototype.forEach.call(document.querySelectorAll(".checkin-this"), function (button) {
    button.addEventListener("click", function () { scan(button.dataset.code); button.disabled = true; });
  });
  window.addEventListener("online", flush);
  window.setInterval(function () { if (navigator.onLine) flush(); }, 10000);
  save(load());
  flush();

  // The camera: jsQR reads each video frame; the same code is not scanned again for 3 s.
  var video = document.getElementById("checkin-video");
  var canvas = document.getElementById("checkin-canvas");
  var last = { code: "", at: 0 };
  function tick() {
    if (video.readyState === video.HAVE_ENOUGH_DATA && window.jsQR) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      var now = Date.now();
      if (found && found.data && (found.data !== last.code || now - last.at > 3000)) {
        last = { code: found.data, at: now };
        scan(found.data);
      }
    }
    if (!video.hidden) window.requestAnimationFrame(tick);
  }
  document.getElementById("checkin-camera").addEventListener("click", function () {
    if (!video.hidden) {
      video.hidden = true;
      if (video.srcObject) video.srcObject.getTracks().forEach(function (track) { track.stop(); });
      return;
    }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      show(root.dataset.msgCamera, "error");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      window.requestAnimationFrame(tick);
    }).catch(function () { show(root.dataset.msgCamera, "error"); });
  });
})();
