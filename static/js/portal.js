/* The portal's own script. Loaded with `defer` after htmx; no inline scripts (strict CSP). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : null;
  }

  // Every htmx request that changes something carries Django's CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // The membership card works offline once loaded (templates/members/portal/card-sw.js).
  var card = document.querySelector("[data-offline-worker]");
  if (card && "serviceWorker" in navigator) {
    navigator.serviceWorker
      .register(card.getAttribute("data-offline-worker"), {
        scope: card.getAttribute("data-offline-scope"),
      })
      .then(function () {
        return navigator.serviceWorker.ready;
      })
      .then(function (registration) {
        var keep = [location.pathname];
        document
          .querySelectorAll("link[rel=stylesheet][href], script[src], img[src], link[rel=icon][href]")
          .forEach(function (element) {
            keep.push(element.getAttribute("href") || element.getAttribute("src"));
          });
        registration.active.postMessage({ keep: keep });
      })
      .catch(function () {});
  }
  // A page without a member (logged out) forgets the card kept for offline use.
  if (!document.querySelector("[data-member]") && "caches" in window) {
    caches.delete("lojal-card-v1").catch(function () {});
  }
})();
