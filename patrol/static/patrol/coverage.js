/* The coverage page and a patrol's page: Leaflet over the reserve's hillshade, layers drawn by the server
   (PNG already warped to Web Mercator) or GeoJSON lines. No tiles, no CDN. */
(function () {
  "use strict";
  const root = document.getElementById("coverage-map");
  const source = document.getElementById("coverage-data");
  if (!root || !source || typeof L === "undefined") return;
  const data = JSON.parse(source.textContent);
  const map = L.map(root, { attributionControl: false, zoomSnap: 0.25 });
  const labels = data.labels || {};
  const overlays = {};
  let bounds = null;
  if (data.hillshade) {
    L.imageOverlay(data.hillshade.url, data.hillshade.bounds, { opacity: 0.9 }).addTo(map);
    bounds = L.latLngBounds(data.hillshade.bounds);
  }
  for (const name of ["visits", "gaps"]) {
    if (!data[name]) continue;
    overlays[labels[name] || name] = L.imageOverlay(data[name].url, data[name].bounds, { className: "layer-" + name }).addTo(map);
    bounds = bounds || L.latLngBounds(data[name].bounds);
  }
  const lines = [["planned", "#b00000"], ["track", "#0050d0"]];
  for (const [name, color] of lines) {
    if (!data[name]) continue;
    const layer = L.geoJSON(data[name], { style: { color, weight: 4, className: "line-" + name } }).addTo(map);
    bounds = bounds ? bounds.extend(layer.getBounds()) : layer.getBounds();
  }
  if (bounds) map.fitBounds(bounds, { padding: [10, 10] });
  else map.setView([0, 0], 2);
  if (Object.keys(overlays).length) L.control.layers(null, overlays, { collapsed: false }).addTo(map);
})();
