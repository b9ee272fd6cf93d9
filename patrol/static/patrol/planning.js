/* The planning page: ask the route-plan API for routes, show progress while the worker computes, draw each
   route over the risk layer and the hillshade as soon as it is ready, accept one as a planned patrol.
   No tiles, no CDN: everything comes from this app. */
(function () {
  "use strict";
  const form = document.getElementById("plan-form");
  if (!form) return;
  const T = JSON.parse(document.getElementById("plan-i18n").textContent);
  const COLOURS = ["#1f4e9c", "#0b8a4a", "#8a3ab9", "#c2571a", "#127f8c"];
  const lang = document.documentElement.lang || "en";
  const num = (v, digits) => new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v);
  const el = (tag, attrs, text) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const send = (url, method, body) => fetch(url, {
    method, credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then((r) => r.json().then((json) => ({ ok: r.ok, status: r.status, body: json })));
  const errorText = (body) => {
    if (!body || !body.error) return T.error;
    const fields = Object.entries(body.error.fields || {}).map(([k, v]) => `${k}: ${[].concat(v).join(" ")}`);
    return fields.length ? fields.join("; ") : body.error.message;
  };

  const mapNode = document.getElementById("plan-map");
  const map = L.map(mapNode, { zoomSnap: 0.25, attributionControl: false }).setView([50, 87], 8);
  const control = L.control.layers(null, null, { collapsed: false }).addTo(map);
  const routeLayer = L.layerGroup().addTo(map);
  const progressBox = document.getElementById("plan-progress");
  const errorBox = document.getElementById("plan-error");
  const acceptedBox = document.getElementById("plan-accepted");
  const list = document.getElementById("plan-routes");
  let plan = null;
  let drawn = 0;
  let started = 0;
  let polling = null;
  let shown = null;

  send(form.dataset.risk, "GET").then(({ ok, body }) => {
    if (!ok) return;
    if (body.hillshade) {
      const shade = L.imageOverlay(body.hillshade.url, body.hillshade.bounds, { className: "plan-hillshade" }).addTo(map);
      control.addOverlay(shade, T.hillshade);
      map.fitBounds(body.hillshade.bounds);
    }
    const snares = body.overlays && body.overlays.layers && body.overlays.layers.snares;
    if (snares) {
      const risk = L.imageOverlay(snares.url, body.overlays.bounds, { opacity: 0.6, className: "plan-risk" }).addTo(map);
      control.addOverlay(risk, T.risk_layer);
      if (!body.hillshade) map.fitBounds(body.overlays.bounds);
    }
    mapNode.dataset.ready = "1";
  });

  // a team's home post is the likely start, and its leader one of its members
  function teamChanged() {
    Array.from(form.leader.options).forEach((o) => { o.hidden = Boolean(o.value) && o.dataset.team !== form.team.value; });
    if (form.leader.selectedOptions[0] && form.leader.selectedOptions[0].hidden) form.leader.value = "";
  }
  form.team.addEventListener("change", () => {
    const post = form.team.selectedOptions[0] && form.team.selectedOptions[0].dataset.post;
    if (post) form.start_post.value = post;
    teamChanged();
  });
  teamChanged();
  if (form.team.selectedOptions[0] && form.team.selectedOptions[0].dataset.post && !form.dataset.keepPost) {
    form.start_post.value = form.team.selectedOptions[0].dataset.post;
  }

  const chosen = (select) => Array.from(select.selectedOptions).map((o) => o.value);

  function body() {
    const days = Number(form.days.value);
    return {
      reserve: form.dataset.reserve,
      start_post: Number(form.start_post.value),
      end_post: form.end_post.value ? Number(form.end_post.value) : null,
      team: form.team.value ? Number(form.team.value) : null,
      planned_date: form.planned_date.value,
      start_time: form.start_time.value,
      transport: form.transport.value,
      hours: Number(form.hours.value),
      days,
      alternatives: days > 1 ? 1 : Number(form.alternatives.value),
      must_pass: chosen(form.must_pass),
      avoid: chosen(form.avoid),
    };
  }

  function showProgress(p) {
    progressBox.hidden = p.status === "done" || p.status === "failed";
    progressBox.querySelector("progress").value = p.progress;
    progressBox.querySelector(".stage").textContent = `${T[p.status] || p.status} (${p.progress} %)`;
    progressBox.dataset.status = p.status;
  }

  function drawRoute(fc, index) {
    const colour = COLOURS[index % COLOURS.length];
    const route = fc.features.find((f) => f.properties.kind === "route");
    const simple = fc.features.find((f) => f.properties.kind === "route_simplified") || route;
    const p = route.properties;
    const line = L.geoJSON(simple, { style: { color: colour, weight: 4, opacity: 0.9 } })
      .bindTooltip(`${T.route} ${index + 1}`).addTo(routeLayer);
    fc.features.filter((f) => f.properties.kind === "waypoint").forEach((w) => {
      const [lon, lat] = w.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 4, color: colour, weight: 2, fillOpacity: 0.9 }).addTo(routeLayer);
    });
    const card = el("section", { class: "route-card", "data-route": String(index + 1), "data-testid": "route-card" });
    card.style.setProperty("--route-colour", colour);
    card.append(el("h3", {}, `${T.route} ${index + 1}`));
    card.append(el("p", { class: "figures" },
      `${num(p.duration_h, 1)} ${T.hours} · ${num(p.length_km, 1)} ${T.km} · ${T.ascent} ${num(p.ascent_m, 0)} ${T.m} · ` +
      `${T.risk} ${num(p.covered_risk, 2)}`));
    const valleys = el("p", { class: "valley-list", "data-testid": "route-valleys" }, `${T.valleys}: `);
    if (!(p.valleys || []).length) valleys.append(el("span", { class: "muted" }, T.no_valley));
    // a click on a valley marks it to avoid (again: to pass) in the form, for the next plan
    (p.valleys || []).forEach((name) => {
      const chip = el("button", { type: "button", class: "valley-chip", title: T.chip_help, "data-valley": name }, name);
      chip.addEventListener("click", () => toggleValley(name));
      valleys.append(chip);
    });
    card.append(valleys);
    const accept = el("button", { type: "button", "data-testid": "accept" }, T.accept);
    accept.addEventListener("click", () => acceptRoute(index + 1, accept));
    card.append(accept);
    card.addEventListener("mouseenter", () => line.setStyle({ weight: 7 }));
    card.addEventListener("mouseleave", () => line.setStyle({ weight: 4 }));
    list.append(card);
    // the map follows the routes as they arrive: all of them in view
    shown = index === 0 ? line.getBounds() : shown.extend(line.getBounds());
    map.fitBounds(shown, { maxZoom: 13, padding: [20, 20] });
  }

  function toggleValley(name) {
    const avoid = Array.from(form.avoid.options).find((o) => o.value === name);
    const must = Array.from(form.must_pass.options).find((o) => o.value === name);
    if (!avoid || !must) return;
    if (avoid.selected) { avoid.selected = false; must.selected = true; }
    else if (must.selected) { must.selected = false; }
    else { avoid.selected = true; }
    list.querySelectorAll(`.valley-chip[data-valley="${CSS.escape(name)}"]`).forEach((chip) => {
      chip.dataset.mark = avoid.selected ? "avoid" : must.selected ? "must" : "";
    });
  }

  function showPlan(p) {
    plan = p;
    showProgress(p);
    while (drawn < p.routes.length) {
      drawRoute(p.routes[drawn], drawn);
      drawn += 1;
      if (drawn === 1) mapNode.dataset.firstRouteMs = String(Math.round(performance.now() - started));
    }
    if (p.status === "failed") {
      errorBox.hidden = false;
      errorBox.textContent = `${T.failed}: ${p.error}`;
    }
    if (p.status === "done" || p.status === "failed") {
      mapNode.dataset.allRoutesMs = String(Math.round(performance.now() - started));
      mapNode.dataset.plan = String(p.id);
      form.querySelector("button[type=submit]").disabled = false;
      return;
    }
    polling = setTimeout(() => send(`${form.dataset.api}${p.id}/`, "GET").then(({ ok, body }) => {
      if (ok) showPlan(body); else showError(body);
    }), 400);
  }

  function showError(body) {
    errorBox.hidden = false;
    errorBox.textContent = errorText(body);
    progressBox.hidden = true;
    form.querySelector("button[type=submit]").disabled = false;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(polling);
    routeLayer.clearLayers();
    list.replaceChildren();
    errorBox.hidden = true;
    acceptedBox.hidden = true;
    drawn = 0;
    delete mapNode.dataset.firstRouteMs;
    delete mapNode.dataset.allRoutesMs;
    started = performance.now();
    form.querySelector("button[type=submit]").disabled = true;
    showProgress({ status: "queued", progress: 0 });
    send(form.dataset.api, "POST", body()).then(({ ok, body }) => (ok ? showPlan(body) : showError(body)));
  });

  function acceptRoute(n, button) {
    if (!plan) return;
    button.disabled = true;
    button.textContent = T.accepting;
    const accept = { route: n };
    if (form.leader.value) accept.leader = form.leader.value;
    send(`${form.dataset.api}${plan.id}/accept/`, "POST", accept).then(({ ok, body }) => {
      if (!ok) {
        button.disabled = false;
        button.textContent = T.accept;
        showError(body);
        return;
      }
      const local = (iso) => iso.slice(0, 16).replace("T", " ");
      acceptedBox.hidden = false;
      acceptedBox.dataset.patrol = String(body.patrol);
      acceptedBox.textContent = T.accepted.replace("%(id)s", body.patrol)
        .replace("%(team)s", form.team.selectedOptions[0].textContent)
        .replace("%(start)s", local(body.planned_start)).replace("%(end)s", local(body.planned_end));
      list.querySelectorAll("button[data-testid=accept]").forEach((b) => { b.disabled = true; });
    });
  }
})();
