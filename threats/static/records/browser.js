/* The records browser's map: the reserve's boundary and the listed records, each with a popup that
   links to its page. No tiles, no CDN: the data are in the page (records-map-data), Leaflet is the app's. */
(function () {
  "use strict";
  const root = document.getElementById("records-map");
  const source = document.getElementById("records-map-data");
  if (!root || !source || typeof L === "undefined") return;
  const data = JSON.parse(source.textContent);
  const map = L.map(root, { zoomSnap: 0.25, attributionControl: false });
  if (data.hillshade) L.imageOverlay(data.hillshade.url, data.hillshade.bounds, { opacity: 0.9, className: "records-hillshade" }).addTo(map);
  const boundary = L.geoJSON(JSON.parse(data.boundary), { style: { color: "#0b5d7a", weight: 2, fill: false } }).addTo(map);
  const markers = L.featureGroup().addTo(map);
  data.points.forEach((point) => {
    const marker = L.circleMarker([point.lat, point.lon], {
      radius: point.generalised ? 9 : 6, weight: 2, color: point.generalised ? "#6b4f9e" : "#b30000",
      fillOpacity: point.generalised ? 0.25 : 0.7, className: "record-marker",
    });
    const popup = document.createElement("div");
    const title = document.createElement("strong");
    title.textContent = `${data.label} #${point.id}`;
    popup.append(title);
    if (point.generalised) {
      const note = document.createElement("div");
      note.textContent = data.generalised;
      popup.append(note);
    }
    const link = document.createElement("a");
    link.href = point.url;
    link.textContent = data.open;
    link.className = "popup-open";
    popup.append(document.createElement("br"), link);
    marker.bindPopup(popup);
    marker.addTo(markers);
  });
  const bounds = boundary.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
  else if (markers.getLayers().length) map.fitBounds(markers.getBounds());
  else map.setView([0, 0], 2);
  root.dataset.markers = String(data.points.length);
  root.dataset.ready = "1";
})();
