/* The membership card's service worker (scope /card/): the card keeps showing at the till
   without a network. Network first; what came back is kept, and served when offline. The page
   sends the addresses of its styles, scripts and images to keep once it is controlled. Logging
   out (any page without a member) empties the cache: see static/js/portal.js. */
"use strict";
var CACHE = "lojal-card-v1";

self.addEventListener("install", function () {
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("message", function (event) {
  var urls = (event.data && event.data.keep) || [];
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      return cache.addAll(urls);
    })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) {
    return;
  }
  event.respondWith(
    fetch(request)
      .then(function (response) {
        if (response.ok) {
          var copy = response.clone();
          caches.open(CACHE).then(function (cache) {
            cache.put(request, copy);
          });
        }
        return response;
      })
      .catch(function () {
        return caches.match(request, { ignoreVary: true }).then(function (cached) {
          return cached || Response.error();
        });
      })
  );
});
