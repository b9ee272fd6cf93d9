/* Irbis Field: the team's upcoming patrols and the route map, offline.
 * The reserve's hillshade (a PNG already warped to Web Mercator) is fetched once with the device token and
 * kept in the Cache Storage ("irbis-field-map", kept across app versions); the route and the hotspot
 * waypoints come with the bootstrap (IndexedDB). Leaflet is served by the app and precached by sw.js:
 * no tiles, no network needed in the field. */
"use strict";
const FieldRoute = (() => {
  const MAP_CACHE = "irbis-field-map";
  const REACHED_M = 50; // a waypoint counts as visited within this distance
  let map = null;
  let watch = null;
  let objectUrl = null;

  /* Great-circle distance in metres (a sphere of 6,371 km: well within a GPS fix's error at these ranges). */
  function distanceM(a, b) {
    const rad = Math.PI / 180;
    const dLat = (b[1] - a[1]) * rad;
    const dLon = (b[0] - a[0]) * rad;
    const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(s)));
  }

  function formatDistance(m, ui) {
    const number = (v, d) => new Intl.NumberFormat(ui.lang, { maximumFractionDigits: d, minimumFractionDigits: d }).format(v);
    return m < 1000 ? ui.t("metres", { n: number(Math.round(m), 0) }) : ui.t("kilometres", { n: number(m / 1000, 1) });
  }

  /* The hillshade into the map cache, once per terrain (`key`); offline this is a no-op. */
  async function cacheMap(boot, token) {
    const info = boot && boot.map && boot.map.hillshade;
    if (!info || !("caches" in window)) return false;
    const cache = await caches.open(MAP_CACHE);
    const url = info.url + "?key=" + encodeURIComponent(info.key);
    if (await cache.match(url)) return true;
    try {
      const response = await fetch(info.url, { headers: { Authorization: "Device " + token }, cache: "no-store" });
      if (!response.ok) return false;
      for (const old of await cache.keys()) await cache.delete(old); // an earlier terrain's image
      await cache.put(url, response);
      return true;
    } catch (error) {
      return false;
    }
  }

  async function hillshadeUrl(boot) {
    const info = boot && boot.map && boot.map.hillshade;
    if (!info || !("caches" in window)) return null;
    const hit = await (await caches.open(MAP_CACHE)).match(info.url + "?key=" + encodeURIComponent(info.key));
    if (!hit) return null;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(await hit.blob());
    return objectUrl;
  }

  function stop() {
    if (watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(watch);
    watch = null;
    if (map) map.remove();
    map = null;
  }

  /* Where to go next: the first waypoint (in route order) not yet visited, else the route's end. */
  function nextTarget(patrol, reached) {
    const waypoints = patrol.waypoints || [];
    for (let k = 0; k < waypoints.length; k += 1) if (!reached.has(k)) return { k, point: waypoints[k] };
    const route = patrol.route || [];
    return route.length ? { k: null, point: route[route.length - 1] } : null;
  }

  /* The upcoming patrols, each a large card with its route and start buttons. */
  function upcoming(ui, patrols, running) {
    const { h, t } = ui;
    const cards = patrols.filter((p) => !running || running.id !== p.id).map((p) => {
      const when = p.planned_start ? new Date(p.planned_start).toLocaleString(ui.lang, { dateStyle: "medium", timeStyle: "short" }) : "";
      return h("div", { class: "card upcoming", "data-patrol": p.id },
        h("strong", {}, `${p.team} · ${when}`), p.objective ? h("div", {}, p.objective) : null,
        h("div", { class: "row" },
          p.route ? h("button", { class: "secondary", "data-testid": "show-route", onclick: () => ui.showRoute(p) }, t("show_route")) : null,
          running ? null : h("button", { "data-testid": "start-assigned", onclick: () => ui.start("patrol:" + p.id) }, t("start_patrol"))));
    });
    return h("section", { id: "upcoming" }, h("h2", {}, t("upcoming")), cards.length ? cards : h("p", {}, t("no_upcoming")));
  }

  /* The route page: the map over the hillshade, the waypoints, the ranger's position and the distance
   * to the next waypoint, with start / end of this patrol. */
  async function show(ui, patrol) {
    const { h, t } = ui;
    stop();
    const reached = new Set();
    const distance = h("p", { class: "distance", "data-testid": "next-waypoint" }, t("no_position"));
    const mapBox = h("div", { id: "route-map", class: "route-map", "data-testid": "route-map" });
    const running = ui.running();
    const isThis = running && running.id === patrol.id;
    const action = isThis
      ? h("button", { class: "danger", id: "end-patrol", onclick: () => { stop(); ui.end(); } }, t("end_patrol"))
      : running ? null
        : h("button", { id: "start-route-patrol", onclick: () => { ui.start("patrol:" + patrol.id).then(() => show(ui, patrol)); } }, t("start_patrol"));
    ui.app.replaceChildren(
      h("h1", {}, `${patrol.team} ${patrol.planned_start ? patrol.planned_start.slice(0, 10) : ""}`),
      distance, mapBox, action,
      h("button", { class: "secondary", id: "route-back", onclick: () => { stop(); ui.home(); } }, t("back")));
    if (typeof L === "undefined") return;
    map = L.map(mapBox, { attributionControl: false, zoomSnap: 0.5 });
    const boot = ui.boot();
    const line = (patrol.route || []).map(([lon, lat]) => [lat, lon]);
    // The view first: Leaflet draws layers only on a map that has one.
    if (line.length) map.fitBounds(L.latLngBounds(line), { padding: [20, 20] });
    else if (boot.map) map.fitBounds(boot.map.hillshade.bounds);
    else map.setView([0, 0], 2);
    const shade = await hillshadeUrl(boot);
    if (shade) {
      const overlay = L.imageOverlay(shade, boot.map.hillshade.bounds, { className: "hillshade" }).addTo(map);
      overlay.getElement().dataset.testid = "hillshade";
    } else {
      mapBox.dataset.noHillshade = "1";
      ui.message(t("map_not_saved"), true);
    }
    if (line.length) L.polyline(line, { color: "#b00000", weight: 5, className: "route-line" }).addTo(map);
    (patrol.waypoints || []).forEach(([lon, lat], k) => {
      L.circleMarker([lat, lon], { radius: 11, color: "#000", weight: 3, fillColor: "#ffcc00", fillOpacity: 1, className: "waypoint" })
        .bindTooltip(String(k + 1), { permanent: true, direction: "center", className: "waypoint-label" }).addTo(map);
    });
    let me = null;
    const update = (lon, lat, acc) => {
      const here = [lon, lat];
      (patrol.waypoints || []).forEach((w, k) => { if (distanceM(here, w) <= REACHED_M) reached.add(k); });
      if (!me) me = L.circleMarker([lat, lon], { radius: 9, color: "#fff", weight: 3, fillColor: "#0050d0", fillOpacity: 1, className: "me" }).addTo(map);
      else me.setLatLng([lat, lon]);
      const target = nextTarget(patrol, reached);
      if (!target) return;
      const d = formatDistance(distanceM(here, target.point), ui);
      distance.textContent = target.k === null ? t("route_end", { d })
        : t("next_waypoint", { k: target.k + 1, n: patrol.waypoints.length, d });
      distance.dataset.metres = Math.round(distanceM(here, target.point));
      distance.dataset.accuracy = Math.round(acc);
    };
    const fix = ui.recentFix();
    if (fix) update(fix.lon, fix.lat, fix.acc);
    if (navigator.geolocation) {
      watch = navigator.geolocation.watchPosition((p) => update(p.coords.longitude, p.coords.latitude, p.coords.accuracy),
        () => {}, { enableHighAccuracy: true, maximumAge: 30000 });
    }
  }

  return { cacheMap, show, stop, upcoming, distanceM };
})();
