/* Irbis Field service worker. Served by /field/sw.js, which prepends VERSION and PRECACHE.
 * The app shell is cached on install and served cache-first, so the app opens with no network.
 * API calls are never intercepted: they go to the network, and the page queues what fails. */
/* global VERSION, PRECACHE */
const CACHE = "irbis-field-" + VERSION;
const MAP_CACHE = "irbis-field-map";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      // "irbis-field-map" holds the reserve's hillshade (route.js): it outlives app versions.
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("irbis-field-") && k !== CACHE && k !== MAP_CACHE)
        .map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return; // the network, untouched
  }
  const shell = url.pathname === PRECACHE[0] || request.mode === "navigate";
  event.respondWith(
    caches.open(CACHE).then((cache) =>
      cache.match(shell ? PRECACHE[0] : request, { ignoreSearch: shell }).then((hit) => {
        if (hit) return hit;
        return fetch(request).then((response) => {
          if (response.ok && (url.pathname.startsWith("/static/field/") || url.pathname.startsWith(PRECACHE[0]))) {
            cache.put(request, response.clone());
          }
          return response;
        });
      })
    )
  );
});
