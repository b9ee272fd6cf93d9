/* The report's map: snare finds per cell (circles sized by snares) and patrol effort per 1 km cell, over the
   reserve boundary. No tiles, no CDN: the data come from this app (…/map/finds.geojson, …/map/effort.geojson). */
(function () {
  "use strict";
  const root = document.getElementById("report-map");
  if (!root || typeof L === "undefined") return;
  const map = L.map(root, { attributionControl: false });
  const control = L.control.layers(null, null, { collapsed: false }).addTo(map);
  const boundaryData = JSON.parse(document.getElementById("report-boundary").textContent);
  const boundary = L.geoJSON(boundaryData, { style: { color: "#333", weight: 1.5, fill: false } }).addTo(map);
  if (boundary.getBounds().isValid()) map.fitBounds(boundary.getBounds());
  const get = (url) => fetch(url, { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : { features: [] }));
  get(root.dataset.effort).then((data) => {
    const max = Math.max(1, ...data.features.map((f) => f.properties.patrols));
    const layer = L.geoJSON(data, {
      style: (f) => ({ stroke: false, fillColor: "#08519c", fillOpacity: 0.15 + 0.6 * f.properties.patrols / max }),
      onEachFeature: (f, l) => l.bindTooltip(`${f.properties.patrols} ${root.dataset.patrolsWord}`),
    }).addTo(map);
    layer.bringToBack();
    control.addOverlay(layer, root.dataset.effortLabel);
    root.dataset.effortCells = String(data.features.length);
  });
  get(root.dataset.finds).then((data) => {
    const most = Math.max(1, ...data.features.map((f) => f.properties.snares));
    const layer = L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, {
        radius: 2 + 14 * Math.sqrt(f.properties.snares / most), color: "#bd0026", weight: 1, fillOpacity: 0.5 }),
      onEachFeature: (f, l) => l.bindTooltip(`${f.properties.snares} ${root.dataset.snaresWord}`),
    }).addTo(map);
    control.addOverlay(layer, root.dataset.findsLabel);
    root.dataset.findCells = String(data.features.length);
  });
})();
