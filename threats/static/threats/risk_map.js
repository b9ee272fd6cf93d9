/* The manager's risk map: risk layers over the hillshade (PNG overlays rendered by the server, already
   warped to Web Mercator), records from the GeoJSON API, the valley ranking, explain on click.
   No tiles, no CDN: everything comes from this app. */
(function () {
  "use strict";
  const root = document.getElementById("risk-map");
  if (!root) return;
  const T = JSON.parse(document.getElementById("risk-i18n").textContent);
  const slug = root.dataset.reserve;
  const RAMPS = {
    snares: ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
    leopard: ["#f7f4f9", "#d4b9da", "#c994c7", "#dd1c77", "#67001f"],
    uncertainty: ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
    leopard_uncertainty: ["#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f"],
    effort: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
  };
  const map = L.map(root, { zoomSnap: 0.25, attributionControl: false });
  const control = L.control.layers(null, null, { collapsed: false }).addTo(map);
  const riskLayers = {};
  let shownRun = null;
  let marker = null;

  const lang = document.documentElement.lang || "en";
  const number = (v, digits, options) => new Intl.NumberFormat(lang, {
    minimumFractionDigits: digits, maximumFractionDigits: digits, ...(options || {}) }).format(v);
  const fmt = (v, digits) => (v === null || v === undefined ? "–" : number(Number(v), digits === undefined ? 3 : digits));
  // a signed change: two decimals below one (0.04 would read "+0.0"), one above
  const signed = (v, digits) => number(v, digits === undefined ? (Math.abs(v) < 1 ? 2 : 1) : digits,
    { signDisplay: "exceptZero" });
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const getJSON = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => r.json().then((body) => ({ ok: r.ok, status: r.status, body })));

  function showStatus(status) {
    const info = document.getElementById("run-info");
    const latest = status.latest;
    info.textContent = latest
      ? `${T.run} #${latest.id}: ${T.data} ${latest.inputs_start.slice(0, 10)} ${T.to} ${latest.inputs_end.slice(0, 10)}, ` +
        `${T.finished} ${latest.finished_at.slice(0, 16).replace("T", " ")} UTC`
      : T.no_run;
    info.dataset.run = latest ? String(latest.id) : "";
    const box = document.getElementById("run-progress");
    const current = status.current;
    box.hidden = !current;
    if (current) {
      box.querySelector("progress").value = current.progress;
      box.querySelector(".stage").textContent =
        `${current.status === "queued" ? T.queued : T.computing}: ${current.stage_label || current.stage} (${current.progress} %)`;
      box.dataset.status = current.status;
    }
  }

  function showLegend(overlays) {
    const legend = document.getElementById("legend");
    legend.replaceChildren();
    Object.entries(overlays.layers).forEach(([name, layer]) => {
      const row = el("div", { class: "legend-row", "data-layer": name });
      const ramp = el("span", { class: "legend-ramp" });
      ramp.style.background = `linear-gradient(to right, ${RAMPS[name].join(", ")})`;
      row.append(el("strong", {}, T[name]), ramp,
        el("span", { class: "muted" }, `${fmt(layer.lo)}–${fmt(layer.hi)} ${layer.unit}${layer.generalised ? ` (${T.generalised})` : ""}`));
      legend.append(row);
    });
  }

  function showOverlays(status) {
    if (!status.latest || shownRun === status.latest.id) return;
    shownRun = status.latest.id;
    Object.values(riskLayers).forEach((layer) => { control.removeLayer(layer); map.removeLayer(layer); });
    const overlays = status.overlays;
    Object.entries(overlays.layers).forEach(([name, layer], i) => {
      const overlay = L.imageOverlay(layer.url, overlays.bounds, { opacity: 0.85, className: `risk-layer risk-layer-${name}` });
      riskLayers[name] = overlay;
      control.addOverlay(overlay, T[name]);
      if (i === 0) overlay.addTo(map);
    });
    showLegend(overlays);
    loadValleys();
  }

  function poll() {
    getJSON(root.dataset.api).then(({ ok, body }) => {
      if (!ok) return;
      showStatus(body);
      showOverlays(body);
      if (body.current) setTimeout(poll, 3000);
    });
  }

  function loadAll(url, into) {
    return getJSON(url).then(({ ok, body }) => {
      if (!ok) return;
      into.addData(body);
      if (body.next) return loadAll(body.next, into);
    });
  }

  function recordLayer(name, url, colour) {
    const layer = L.geoJSON(null, {
      pointToLayer: (feature, latlng) => L.circleMarker(latlng, { radius: 4, color: colour, weight: 1, fillOpacity: 0.8 }),
      onEachFeature: (feature, lyr) => {
        const p = feature.properties || {};
        const what = T.species[p.species] || T.kinds[p.kind] || T.kinds[p.observation_type] || p.species || "";
        lyr.bindTooltip(`${T[name]}: ${(p.found_at || p.occurred_at || p.observed_at || "").slice(0, 10)} ${what}`);
      },
    });
    control.addOverlay(layer, T[name]);
    layer.addTo(map);
    loadAll(`${url}?reserve=${encodeURIComponent(slug)}&page_size=1000`, layer)
      .then(() => root.setAttribute(`data-loaded-${name}`, String(layer.getLayers().length)));
  }

  // "new" when the earlier period had practically nothing; otherwise the absolute change, and the
  // percentage only when the API gives one (the earlier value was large enough: see valley_change)
  function trendText(v) {
    if (v.trend === "new") return `${T.new}: ${T.new_note}`;
    const lines = T.change_lines.replace("%(change)s", signed(v.change));
    const percent = v.change_percent === null ? "" : ` (${signed(v.change_percent, 0)} %)`;
    return `${T[v.trend]} ${lines}${percent}`;
  }

  function loadValleys() {
    getJSON(`${root.dataset.valleys}?top=10`).then(({ ok, body }) => {
      const tbody = document.querySelector("#valley-table tbody");
      tbody.replaceChildren();
      if (!ok) return;
      document.getElementById("valley-note").textContent =
        body.previous_window ? `${T.previous} ${body.previous_window[1].slice(0, 10)}.` : "";
      if (!body.valleys.length) {
        const row = el("tr"); row.append(el("td", { colspan: "5", class: "muted" }, T.no_valleys)); tbody.append(row);
      }
      body.valleys.forEach((v) => {
        const row = el("tr", { "data-reach": String(v.reach_id), "data-valley": v.name, class: "valley-row",
          tabindex: "0", title: T.show_valley });
        row.addEventListener("click", () => showValley(v.name));
        row.addEventListener("keydown", (e) => { if (e.key === "Enter") showValley(v.name); });
        row.append(el("td", {}, String(v.rank)), el("td", {}, v.name), el("td", {}, fmt(v.risk, 2)),
          el("td", {}, `${fmt(v.previous_risk, 2)} (#${v.previous_rank})`),
          el("td", { class: `trend-${v.trend}` }, trendText(v)));
        tbody.append(row);
      });
      tbody.parentElement.dataset.rows = String(body.valleys.length);
    });
  }

  // a valley of the ranking: its reaches on the map, and (for managers) a patrol planned through it
  let valleyLayer = null;
  function showValley(name) {
    const url = `${root.dataset.valleyReaches}?reserve__slug=${encodeURIComponent(slug)}` +
      `&name=${encodeURIComponent(name)}&page_size=200`;
    getJSON(url).then(({ ok, body }) => {
      if (!ok) return;
      const reaches = body.results || body;  // a page of GeoJSON
      if (valleyLayer) map.removeLayer(valleyLayer);
      valleyLayer = L.geoJSON(reaches, { style: { color: "#00c8ff", weight: 5, opacity: 0.95, className: "valley-highlight" } }).addTo(map);
      if (reaches.features.length) map.fitBounds(valleyLayer.getBounds(), { padding: [30, 30], maxZoom: 13 });
      document.querySelectorAll("#valley-table tr.chosen").forEach((r) => r.classList.remove("chosen"));
      const row = document.querySelector(`#valley-table tr[data-valley="${CSS.escape(name)}"]`);
      if (row) row.classList.add("chosen");
      const box = document.getElementById("valley-chosen");
      box.replaceChildren(el("strong", {}, name));
      box.dataset.valley = name;
      if (root.dataset.planning) {
        const link = el("a", { href: `${root.dataset.planning}?must_pass=${encodeURIComponent(name)}`,
          "data-testid": "plan-through" }, T.plan_through.replace("%(valley)s", name));
        box.append(document.createTextNode(" · "), link);
      }
      box.hidden = false;
    });
  }

  function explain(latlng) {
    const panel = document.getElementById("explain-panel");
    panel.dataset.state = "loading";
    if (marker) map.removeLayer(marker);
    marker = L.circleMarker(latlng, { radius: 7, color: "#000", weight: 2, fill: false }).addTo(map);
    const url = `${root.dataset.explain}?lon=${latlng.lng.toFixed(6)}&lat=${latlng.lat.toFixed(6)}`;
    getJSON(url).then(({ ok, body }) => {
      panel.replaceChildren(el("h2", {}, T.why));
      if (!ok || !body.summary) {
        panel.append(el("p", { class: "error" }, body.error ? body.error.message : T.outside));
        panel.dataset.state = "error";
        return;
      }
      // in a ranger's words
      panel.append(el("p", { class: "summary", "data-testid": "summary" }, body.summary));
      if (body.reasons.length) {
        const reasons = el("ul", { "data-testid": "reasons" });
        body.reasons.forEach((r) => {
          const mark = { raises: "(+)", lowers: "(−)", uncertain: `(${T.uncertain})` }[r.effect];
          const item = el("li", { class: `reason-${r.effect}`, "data-key": r.key }, `${r.text} ${mark}`);
          if (r.effect !== "uncertain") item.title = T[r.effect];
          reasons.append(item);
        });
        panel.append(el("p", {}, T.reasons), reasons);
      }
      panel.append(el("p", {}, `${T.leopard_chance}: ${fmt(body.leopard_presence === null ? null : 100 * body.leopard_presence, 0)} %` +
        `${body.leopard_generalised ? ` (${T.generalised})` : ""}`));

      // the model's numbers, behind a toggle
      const numbers = el("details", { "data-testid": "numbers" });
      numbers.append(el("summary", {}, T.show_numbers),
        el("p", {}, `${T.intensity}: ${fmt(body.intensity, 4)} ± ${fmt(body.intensity_sd, 4)} (${T.sd})`),
        el("p", {}, `${T.log_intensity}: ${fmt(body.log_intensity, 2)}; ${T.baseline}: ${fmt(body.baseline, 2)}`),
        el("h3", {}, T.contributions));
      const list = el("ul", { "data-testid": "contributions" });
      const biggest = Math.max(0.01, ...body.contributions.map((c) => Math.abs(c.value)));
      body.contributions.forEach((c) => {
        const item = el("li", { title: c.detail, "data-key": c.name });
        const bar = el("span", { class: `contribution-bar ${c.value >= 0 ? "up" : "down"}` });
        bar.style.width = `${Math.round((60 * Math.abs(c.value)) / biggest)}px`;
        item.append(bar, document.createTextNode(`${c.label}: ${signed(c.value, 2)}`));
        list.append(item);
      });
      numbers.append(list,
        el("p", {}, `${T.effort_here}: ${fmt(body.effort.visits, 1)} ${T.visits}, ${fmt(body.effort.km, 2)} ${T.km}, ` +
          `${fmt(body.effort.hours, 1)} ${T.hours}`),
        el("p", {}, `${T.finds_near}: ${fmt(body.nearby_finds, 2)} / ${fmt(body.nearby_expected_finds, 2)}`),
        el("p", {}, `${T.data_weight}: ${fmt(body.data_weight, 2)}`),
        el("p", {}, `${T.leopard_presence}: ${fmt(body.leopard_presence, 2)}` +
          (body.leopard_presence_sd === null || body.leopard_presence_sd === undefined ? "" :
            ` ± ${fmt(body.leopard_presence_sd, 2)} (${T.sd})`)),
        el("p", {}, `${T.leopard_risk}: ${fmt(body.leopard_risk, 4)}` +
          (body.leopard_risk_sd === null || body.leopard_risk_sd === undefined ? "" :
            ` ± ${fmt(body.leopard_risk_sd, 4)} (${T.sd})`)));
      panel.append(numbers);
      panel.dataset.state = "done";
    });
  }

  getJSON(root.dataset.api).then(({ ok, body }) => {
    if (!ok) {
      document.getElementById("run-info").textContent = body.error ? body.error.message : "";
      return;
    }
    if (body.hillshade) {
      L.imageOverlay(body.hillshade.url, body.hillshade.bounds, { className: "risk-hillshade" }).addTo(map);
      map.fitBounds(body.hillshade.bounds);
    } else if (body.overlays) {
      map.fitBounds(body.overlays.bounds);
    } else {
      map.setView([50, 87], 8);
    }
    showStatus(body);
    showOverlays(body);
    recordLayer("finds", root.dataset.records, "#7a0010");
    recordLayer("incidents", root.dataset.incidents, "#e08000");
    recordLayer("detections", root.dataset.detections, "#1b6e1b");
    if (body.current) setTimeout(poll, 3000);
    root.dataset.ready = "1";
  });
  map.on("click", (e) => explain(e.latlng));
})();
