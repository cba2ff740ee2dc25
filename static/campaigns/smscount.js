/* Live SMS counter for every <textarea data-sms-counter>: "N characters · M SMS parts", and the
 * character that forces UCS-2 (70 characters per SMS instead of 160), which a click selects in the
 * text. The same rules as campaigns/smscount.py: GSM-7 160/153 per part, UCS-2 70/67, GSM
 * extension characters and emoji count as two, and a part never splits one of them.
 * Texts come translated from the textarea's data attributes (campaigns.smscount.sms_counter_attrs).
 * No inline script and no eval: it runs under the strict Content-Security-Policy. */
(function () {
  "use strict";

  var GSM7_BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENSION = "^{}\\[~]|€\f";
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };

  function gsm7Cost(ch) {
    if (GSM7_BASIC.indexOf(ch) !== -1) return 1;
    if (GSM7_EXTENSION.indexOf(ch) !== -1) return 2;
    return 0;
  }

  function splitParts(costs, single, perPart) {
    var total = 0;
    costs.forEach(function (c) { total += c; });
    if (total === 0) return [0, single];
    if (total <= single) return [1, single - total];
    var parts = 1;
    var used = 0;
    costs.forEach(function (c) {
      if (used + c > perPart) { parts += 1; used = 0; }
      used += c;
    });
    return [parts, perPart - used];
  }

  /* Count a text: {encoding, parts, characters, remaining, ucs2Character, ucs2Position (0-based,
   * in characters as Python counts them), ucs2Offset (in UTF-16 units, for the selection)}. */
  function smsCount(text) {
    var chars = Array.from(text); // code points, as Python iterates a str
    var forcing = -1;
    var offset = 0;
    var forcingOffset = -1;
    for (var i = 0; i < chars.length; i += 1) {
      if (!gsm7Cost(chars[i])) { forcing = i; forcingOffset = offset; break; }
      offset += chars[i].length;
    }
    var encoding = forcing === -1 ? "GSM-7" : "UCS-2";
    var costs = chars.map(function (ch) {
      if (encoding === "GSM-7") return gsm7Cost(ch);
      return ch.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var limits = LIMITS[encoding];
    var split = splitParts(costs, limits[0], limits[1]);
    var characters = 0;
    costs.forEach(function (c) { characters += c; });
    return {
      encoding: encoding,
      parts: split[0],
      characters: characters,
      remaining: split[1],
      ucs2Character: forcing === -1 ? "" : chars[forcing],
      ucs2Position: forcing === -1 ? null : forcing,
      ucs2Offset: forcingOffset
    };
  }

  function display(ch) {
    // Invisible and space-like characters by their code point, as Python's display does.
    if (/^[\s\p{C}]$/u.test(ch)) {
      return "U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
    }
    return ch;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function attach(textarea) {
    if (textarea.dataset.smsCounterReady) return;
    textarea.dataset.smsCounterReady = "1";
    var maxParts = parseInt(textarea.dataset.smsMaxParts || "10", 10);
    var box = document.createElement("div");
    box.className = "sms-counter";
    box.setAttribute("aria-live", "polite");
    var summary = document.createElement("span");
    summary.className = "sms-counter-summary";
    var warning = document.createElement("button");
    warning.type = "button";
    warning.className = "sms-counter-ucs2";
    warning.hidden = true;
    var tooLong = document.createElement("span");
    tooLong.className = "sms-counter-too-long";
    tooLong.hidden = true;
    box.appendChild(summary);
    box.appendChild(warning);
    box.appendChild(tooLong);
    textarea.insertAdjacentElement("afterend", box);
    if (!textarea.id) textarea.id = "sms-counter-" + Math.random().toString(36).slice(2);
    box.id = textarea.id + "-counter";
    textarea.setAttribute("aria-describedby", box.id);

    var current = null;
    function update() {
      current = smsCount(textarea.value);
      var data = textarea.dataset;
      var characters = current.characters === 1 ? data.smsCharactersOne : data.smsCharactersMany;
      var parts = current.parts === 1 ? data.smsPartsOne : data.smsPartsMany;
      summary.textContent =
        fill(characters || "{n}", { n: current.characters }) +
        " · " +
        fill(parts || "{n}", { n: current.parts });
      box.dataset.encoding = current.encoding;
      box.dataset.parts = String(current.parts);
      if (current.ucs2Position === null) {
        warning.hidden = true;
        warning.textContent = "";
      } else {
        warning.hidden = false;
        warning.textContent = fill(textarea.dataset.smsTextUcs2 || "{character}", {
          character: display(current.ucs2Character),
          position: current.ucs2Position + 1
        });
      }
      var over = current.parts > maxParts;
      tooLong.hidden = !over;
      tooLong.textContent = over ? fill(textarea.dataset.smsTextTooLong || "", { max: maxParts }) : "";
      box.classList.toggle("sms-counter--over", over);
      textarea.setCustomValidity(over ? tooLong.textContent : "");
    }
    warning.addEventListener("click", function () {
      if (!current || current.ucs2Offset < 0) return;
      textarea.focus();
      textarea.setSelectionRange(
        current.ucs2Offset,
        current.ucs2Offset + current.ucs2Character.length
      );
    });
    textarea.addEventListener("input", update);
    update();
  }

  function init(root) {
    (root || document).querySelectorAll("textarea[data-sms-counter]").forEach(attach);
  }

  window.lojalSmsCount = smsCount;
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  // Forms swapped in by htmx get their counters too.
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
