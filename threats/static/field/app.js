/* Irbis Field: log snare finds, incidents, wildlife signs and patrol tracks offline; sync when online.
 * Everything is written to IndexedDB first (FieldDB) and sent by sync() with the device token.
 * Each record gets its client UUID when saved, so a resend after a lost answer is a "duplicate". */
"use strict";
(() => {
  const CONFIG = JSON.parse(document.getElementById("field-config").textContent);
  // Strings and choice labels come from the server in the page's language (locale/*/django.po).
  const LANG = CONFIG.lang || "en";
  document.documentElement.lang = LANG;
  function t(key, params) {
    let text = CONFIG.strings[key] || key;
    for (const [name, value] of Object.entries(params || {})) text = text.replace("{" + name + "}", value);
    return text;
  }
  const app = document.getElementById("app");
  const state = { token: null, deviceId: null, boot: null, lastSync: null, patrol: null, syncing: false, watch: null, wakeLock: null };

  // --- tiny DOM helpers ---------------------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child);
    return el;
  }
  const field = (label, control) => h("div", {}, h("label", { for: control.id }, label), control);
  function select(name, options, value) {
    return h("select", { id: "f-" + name, name },
      options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  }
  /* A select of a record kind's field, with the server's choices (the ones validation accepts) and default. */
  const choice = (kind, name) => {
    const spec = CONFIG.choices[kind][name];
    return field(t(name), select(name, spec.options, spec.default));
  };
  function setMessage(text, error) {
    const el = document.getElementById("message");
    el.textContent = text || "";
    el.className = "message" + (error ? " error" : "");
  }
  const nowIso = () => new Date().toISOString();
  const uuid = () => crypto.randomUUID();

  async function sha256Hex(buffer) {
    const digest = await crypto.subtle.digest("SHA-256", buffer);
    return Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0")).join("");
  }

  // --- status bar -----------------------------------------------------------------------------------
  function renderNet() {
    const net = document.getElementById("net");
    net.textContent = navigator.onLine ? t("online") : t("offline");
    net.className = "net" + (navigator.onLine ? "" : " off");
  }

  async function waitingCounts() {
    const [outbox, photos, track, edits] = await Promise.all(["outbox", "photos", "track", "edits"].map(FieldDB.all));
    const live = (rows) => rows.filter((r) => r.state !== "rejected");
    return {
      records: live(outbox).length + live(edits).length,
      photos: live(photos).length,
      points: track.length + live(outbox).filter((i) => i.kind === "track_points").reduce((n, i) => n + i.data.points.length, 0),
      rejected: outbox.length + photos.length + edits.length - live(outbox).length - live(photos).length - live(edits).length,
    };
  }

  async function renderStatus() {
    const c = await waitingCounts();
    const el = document.getElementById("waiting");
    el.dataset.records = c.records;
    el.dataset.photos = c.photos;
    el.dataset.points = c.points;
    el.dataset.rejected = c.rejected;
    el.textContent = c.records + c.photos ? t("waiting", { n: c.records + c.photos }) : t("nothing_waiting");
    document.getElementById("last-sync").textContent = state.lastSync
      ? t("last_sync", { t: new Date(state.lastSync).toLocaleString(LANG) }) : t("never_synced");
    const detail = document.getElementById("waiting-detail");
    if (detail) detail.textContent = t("items_waiting", { r: c.records, p: c.photos, t: c.points });
    return c;
  }

  // --- login ------------------------------------------------------------------------------------------
  function showLogin(reserves) {
    const username = h("input", { id: "f-username", name: "username", autocomplete: "username", autocapitalize: "none", required: true });
    const password = h("input", { id: "f-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    const reserve = reserves ? select("reserve", reserves.map((slug) => [slug, slug])) : null;
    const form = h("form", { id: "login-form" },
      h("h1", {}, t("login_title")), field(t("username"), username), field(t("password"), password),
      reserve ? field(t("reserve"), reserve) : null,
      h("button", { type: "submit", id: "login-button" }, t("log_in")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!navigator.onLine) return setMessage(t("login_needs_network"), true);
      const body = { username: username.value, password: password.value, device_id: state.deviceId,
                     device_name: (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "" };
      if (reserve) body.reserve = reserve.value;
      try {
        const response = await fetch(CONFIG.api.login, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        const answer = await response.json();
        if (response.status === 400 && answer.error.code === "reserve_required" && answer.error.fields.reserve.length) {
          return showLogin(answer.error.fields.reserve);
        }
        if (!response.ok) return setMessage(answer.error ? answer.error.message : t("login_failed"), true);
        state.token = answer.token;
        await FieldDB.set("token", state.token);
        await refreshBootstrap();
        setMessage("");
        showHome();
        syncSoon();
      } catch (error) {
        setMessage(t("login_failed"), true);
      }
    });
    app.replaceChildren(form);
    username.focus();
  }

  async function signedOut(message) {
    state.token = null;
    await FieldDB.set("token", null);
    setMessage(message || "", Boolean(message));
    showLogin();
  }

  // --- home -------------------------------------------------------------------------------------------
  function showHome() {
    const boot = state.boot || { patrols: [], teams: [], reserve: {} };
    const patrolBox = h("div", { id: "patrol-box" });
    if (state.patrol) {
      const p = state.patrol;
      patrolBox.append(
        h("p", { class: "patrol", "data-testid": "patrol-status" }, t(p.paused ? "patrol_paused" : "patrol_running", { n: p.points || 0 })),
        h("div", { class: "row" },
          h("button", { class: "secondary", id: "pause-patrol", onclick: togglePause }, p.paused ? t("resume_patrol") : t("pause_patrol")),
          h("button", { class: "danger", id: "end-patrol", onclick: endPatrol }, t("end_patrol"))));
      const assigned = p.id && boot.patrols.find((b) => b.id === p.id);
      if (assigned && assigned.route) patrolBox.append(h("button", { class: "secondary", id: "running-route", onclick: () => FieldRoute.show(routeUi, assigned) }, t("show_route")));
    } else {
      const options = boot.teams.map((team) => ["team:" + team.id, t("new_patrol_for", { team: team.name })]);
      if (options.length) {
        const which = select("patrol-choice", options);
        patrolBox.append(field(t("patrol"), which), h("button", { id: "start-patrol", onclick: () => startPatrol(which.value) }, t("start_patrol")));
      }
    }
    FieldRoute.stop();
    app.replaceChildren(
      h("h1", {}, boot.reserve.name || ""),
      patrolBox,
      FieldRoute.upcoming(routeUi, boot.patrols, state.patrol),
      h("div", { class: "grid" },
        h("button", { id: "new-snare", onclick: () => showForm("snare_find") }, t("snare_find")),
        h("button", { id: "new-incident", onclick: () => showForm("incident") }, t("incident")),
        h("button", { id: "new-sign", onclick: () => showForm("detection") }, t("sign")),
        ...FieldSeizure.buttons(seizureUi),
        h("button", { id: "show-queue", class: "secondary", onclick: showQueue }, t("queue"))),
      h("p", { id: "waiting-detail" }),
      h("button", { id: "sync-now", class: "secondary", onclick: () => sync() }, t("sync_now")),
      h("button", { id: "log-out", class: "secondary", onclick: () => signedOut() }, t("log_out")));
    renderStatus();
  }

  const routeUi = { h, t, app, lang: LANG, boot: () => state.boot || {}, running: () => state.patrol, home: showHome,
                    start: (which) => startPatrol(which), end: () => endPatrol(), message: setMessage,
                    recentFix: () => recentFix(), showRoute: (p) => FieldRoute.show(routeUi, p) };

  /* The running patrol's latest GPS fix when it is fresh: forms use it when the GPS answers slowly or fails. */
  const FRESH_FIX_MS = 120000;
  function recentFix() {
    const f = state.patrol && state.patrol.lastFix;
    return f && Date.now() - f.at < FRESH_FIX_MS ? f : null;
  }

  // --- GPS: the best of a few readings -----------------------------------------------------------------
  function bestFix(onUpdate) {
    return new Promise((resolve) => {
      if (!navigator.geolocation) return resolve(null);
      let best = null;
      let readings = 0;
      let watch = null;
      const finish = () => { if (watch !== null) navigator.geolocation.clearWatch(watch); clearTimeout(timer); resolve(best); };
      const timer = setTimeout(finish, 20000);
      watch = navigator.geolocation.watchPosition((position) => {
        readings += 1;
        const c = position.coords;
        if (!best || c.accuracy < best.acc) best = { lat: c.latitude, lon: c.longitude, acc: c.accuracy, at: position.timestamp };
        best.readings = readings;
        onUpdate(best);
        if (readings >= 5 || best.acc <= 10) finish();
      }, (error) => { if (error.code === 1) finish(); }, { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 });
    });
  }

  function locationBlock() {
    let fix = null;
    const box = h("div", { class: "fix", "data-testid": "fix" }, t("no_fix"));
    const lat = h("input", { id: "f-lat", type: "number", step: "any", min: -90, max: 90, inputmode: "decimal" });
    const lon = h("input", { id: "f-lon", type: "number", step: "any", min: -180, max: 180, inputmode: "decimal" });
    const show = (f) => {
      fix = f;
      box.textContent = t("fix", { lat: f.lat.toFixed(5), lon: f.lon.toFixed(5), acc: Math.round(f.acc), n: f.readings });
      box.dataset.accuracy = f.acc;
    };
    const showRecent = (f) => {
      fix = { ...f, readings: 1 };
      box.textContent = t("recent_fix", { lat: f.lat.toFixed(5), lon: f.lon.toFixed(5), acc: Math.round(f.acc), s: Math.round((Date.now() - f.at) / 1000) });
      box.dataset.accuracy = f.acc;
      box.dataset.source = "patrol";
    };
    const locate = async () => {
      const recent = recentFix();
      if (recent) showRecent(recent); else box.textContent = t("locating");
      const result = await bestFix(show);
      if (!result && !recent) box.textContent = t("no_fix");
    };
    locate();
    const el = h("div", {}, h("h2", {}, t("location")), box,
      h("button", { type: "button", class: "secondary", id: "get-fix", onclick: locate }, t("get_fix")),
      h("p", {}, t("manual")), h("div", { class: "row" }, field(t("latitude"), lat), field(t("longitude"), lon)));
    return {
      el,
      value() {
        if (lat.value !== "" && lon.value !== "") return { location: { type: "Point", coordinates: [Number(lon.value), Number(lat.value)] }, gps_accuracy_m: null, at: null };
        if (fix) return { location: { type: "Point", coordinates: [fix.lon, fix.lat] }, gps_accuracy_m: Math.round(fix.acc * 10) / 10, at: new Date(fix.at).toISOString() };
        return null;
      },
    };
  }

  // --- photos: downscaled on the phone, the original's hash kept -------------------------------------------
  async function preparePhoto(file) {
    const original = await file.arrayBuffer();
    const originalSha = await sha256Hex(original);
    const maxPx = (state.boot && state.boot.limits && state.boot.limits.photo_max_px) || CONFIG.photoMaxPx;
    let data = original;
    let type = file.type || "image/jpeg";
    let downscaled = false;
    try {
      const bitmap = await createImageBitmap(file);
      const longest = Math.max(bitmap.width, bitmap.height);
      if (longest > maxPx) {
        const scale = maxPx / longest;
        const canvas = document.createElement("canvas");
        canvas.width = Math.round(bitmap.width * scale);
        canvas.height = Math.round(bitmap.height * scale);
        canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
        data = await blob.arrayBuffer();
        type = "image/jpeg";
        downscaled = true;
      }
      bitmap.close();
    } catch (error) {
      /* not decodable here: send it as it is, the server checks the type */
    }
    return { data, content_type: type, sha256: downscaled ? await sha256Hex(data) : originalSha, original_sha256: originalSha, downscaled };
  }

  // --- forms --------------------------------------------------------------------------------------------
  function patrolSelect() {
    const boot = state.boot || { patrols: [] };
    const options = [["", t("no_patrol")]];
    if (state.patrol) options.push(["active", t("patrol_running", { n: state.patrol.points || 0 })]);
    for (const p of boot.patrols) if (!state.patrol || state.patrol.id !== p.id) options.push(["id:" + p.id, `${p.team} ${p.objective || ""}`.trim()]);
    return select("patrol", options, state.patrol ? "active" : "");
  }
  function patrolRef(value) {
    if (value === "active" && state.patrol) return state.patrol.client_uuid ? { patrol_uuid: state.patrol.client_uuid } : { patrol: state.patrol.id };
    if (value.startsWith("id:")) return { patrol: Number(value.slice(3)) };
    return {};
  }

  // seizure.js: a seizure or a protocol at an incident, with these helpers
  const seizureUi = { h, t, field, select, app, config: CONFIG, boot: () => state.boot || {}, home: showHome,
                      message: setMessage, locationBlock: () => locationBlock(), patrolSelect: () => patrolSelect(),
                      patrolRef: (v) => patrolRef(v), preparePhoto: (f) => preparePhoto(f), uuid, nowIso,
                      syncSoon: () => syncSoon() };

  function showForm(kind) {
    const species = ((state.boot && state.boot.species) || []).map((s) => [s.scientific_name, (LANG === "ru" && s.ru) || s.en]);
    const where = locationBlock();
    const patrol = patrolSelect();
    const notes = h("textarea", { id: "f-notes", name: "notes" });
    const photo = h("input", { id: "f-photo", name: "photo", type: "file", accept: "image/*", capture: "environment" });
    const count = h("input", { id: "f-count", name: "count", type: "number", min: 1, value: 1, inputmode: "numeric" });
    const stepper = h("div", { class: "row stepper" },
      h("button", { type: "button", "aria-label": "-1", onclick: () => { count.value = Math.max(1, Number(count.value) - 1); } }, "−"),
      count,
      h("button", { type: "button", "aria-label": "+1", onclick: () => { count.value = Number(count.value) + 1; } }, "+"));
    let specific;
    if (kind === "snare_find") {
      specific = [
        h("div", {}, h("label", { for: "f-count" }, t("count")), stepper),
        choice(kind, "material"), choice(kind, "state"), choice(kind, "placement"),
        field(t("catch_species"), select("catch_species", [["", t("none")], ...species], "")),
        choice(kind, "catch_condition"), choice(kind, "action"),
      ];
    } else if (kind === "incident") {
      specific = [choice(kind, "kind"), field(t("description"), h("textarea", { id: "f-description", name: "description" }))];
    } else {
      specific = [
        field(t("species"), select("species", species, species.length ? species[0][0] : "")), choice(kind, "method"),
        h("div", {}, h("label", { for: "f-count" }, t("count")), stepper),
        field(t("individual_id"), h("input", { id: "f-individual_id", name: "individual_id", maxlength: 100 })),
      ];
    }
    const form = h("form", { id: "record-form", "data-kind": kind },
      h("h1", {}, t(kind === "detection" ? "sign" : kind)), where.el, ...specific,
      field(t("patrol"), patrol), field(t("notes"), notes), field(t("photo"), photo),
      h("button", { type: "submit", id: "save-record" }, t("save")),
      h("button", { type: "button", class: "secondary", onclick: showHome }, t("back")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const place = where.value();
      if (!place) return setMessage(t("need_location"), true);
      const value = (name) => form.elements[name] ? form.elements[name].value : undefined;
      const data = { location: place.location, gps_accuracy_m: place.gps_accuracy_m, notes: notes.value, ...patrolRef(patrol.value) };
      const when = place.at || nowIso();
      if (kind === "snare_find") {
        if (!(Number(count.value) >= 1)) return setMessage(t("count_invalid"), true);
        Object.assign(data, { found_at: when, count: Number(count.value), material: value("material"), state: value("state"),
          placement: value("placement"), catch_condition: value("catch_condition"), action: value("action") });
        if (value("catch_species")) data.catch_species = value("catch_species");
      } else if (kind === "incident") {
        Object.assign(data, { occurred_at: when, kind: value("kind"), description: value("description") });
      } else {
        if (!(Number(count.value) >= 1)) return setMessage(t("count_invalid"), true);
        Object.assign(data, { observed_at: when, species: value("species"), method: value("method"), count: Number(count.value),
          individual_id: value("individual_id") });
      }
      const prepared = photo.files.length ? await preparePhoto(photo.files[0]) : null;
      await saveRecord(kind, data, prepared);
      setMessage(t("saved"));
      showHome();
      syncSoon();
    });
    app.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  async function saveRecord(kind, data, photo) {
    const item = { client_uuid: uuid(), kind, recorded_at: nowIso(), data, state: "queued" };
    await FieldDB.tx(["outbox", "photos"], "readwrite", (s) => {
      s.outbox.add(item);
      if (photo) s.photos.add({ record_uuid: item.client_uuid, ...photo, state: "queued" });
    });
    await renderStatus();
  }

  function showQueue() {
    Promise.all(["outbox", "photos", "edits"].map(FieldDB.all)).then(([outbox, photos, edits]) => {
      const card = (title, row) => h("div", { class: "card" + (row.state === "rejected" ? " rejected" : "") },
        h("strong", {}, title), " ", row.recorded_at || "", row.state === "rejected" ? h("div", {}, t("rejected") + ": " + JSON.stringify(row.errors || row.error)) : null);
      app.replaceChildren(h("h1", {}, t("queue")), h("p", { id: "waiting-detail" }),
        ...outbox.map((i) => card(t(i.kind === "detection" ? "sign" : i.kind === "track_points" ? "points" : i.kind === "action" ? "action_item" : i.kind), i)),
        ...edits.map((e) => card(t("patrol") + " ✎", e)),
        ...photos.map((p) => card(t("photo"), p)),
        h("button", { class: "secondary", onclick: showHome }, t("back")));
      renderStatus();
    });
  }

  // --- patrols and their GPS track -------------------------------------------------------------------------
  async function startPatrol(which) {
    const [type, id] = which.split(":");
    const now = nowIso();
    const patrol = { segment: 0, paused: false, started: now, points: 0 };
    if (type === "team") {
      patrol.client_uuid = uuid();
      await FieldDB.tx(["outbox", "meta"], "readwrite", (s) => {
        s.outbox.add({ client_uuid: patrol.client_uuid, kind: "patrol", recorded_at: now, state: "queued",
                       data: { team: Number(id), status: "in_progress", actual_start: now } });
        s.meta.put({ key: "patrol", value: patrol });
      });
    } else {  // an assigned patrol: its start goes to the server like any record, exactly once
      patrol.id = Number(id);
      await FieldDB.tx(["outbox", "meta"], "readwrite", (s) => {
        s.outbox.add({ client_uuid: uuid(), kind: "patrol_event", recorded_at: now, state: "queued",
                       data: { patrol: patrol.id, event: "start", at: now } });
        s.meta.put({ key: "patrol", value: patrol });
      });
    }
    state.patrol = patrol;
    startWatch();
    showHome();
    syncSoon();
  }

  async function togglePause() {
    const p = state.patrol;
    p.paused = !p.paused;
    if (p.paused) stopWatch();
    else { p.segment += 1; startWatch(); }
    await FieldDB.set("patrol", p);
    showHome();
  }

  async function endPatrol() {
    stopWatch();
    const p = state.patrol;
    const now = nowIso();
    await FieldDB.tx(["outbox", "edits", "meta"], "readwrite", async (s) => {
      if (p.client_uuid) {
        const queued = await FieldDB.req(s.outbox.index("client_uuid").get(p.client_uuid));
        if (queued && queued.state === "queued") {  // never sent: the patrol goes out whole
          queued.data = { ...queued.data, status: "completed", actual_end: now };
          s.outbox.put(queued);
        } else {
          s.outbox.add({ client_uuid: uuid(), kind: "patrol_event", recorded_at: now, state: "queued",
                         data: { patrol_uuid: p.client_uuid, event: "end", at: now } });
        }
      } else {
        s.outbox.add({ client_uuid: uuid(), kind: "patrol_event", recorded_at: now, state: "queued",
                       data: { patrol: p.id, event: "end", at: now } });
      }
      s.meta.delete("patrol");
    });
    state.patrol = null;
    showHome();
    syncSoon();
  }

  function startWatch() {
    if (!navigator.geolocation || state.watch !== null) return;
    state.watch = navigator.geolocation.watchPosition(async (position) => {
      const p = state.patrol;
      if (!p || p.paused) return;
      if (p.lastAt && position.timestamp - p.lastAt < 5000) return;
      p.lastAt = position.timestamp;
      p.points = (p.points || 0) + 1;
      const c = position.coords;
      p.lastFix = { lat: c.latitude, lon: c.longitude, acc: c.accuracy, at: position.timestamp };
      await FieldDB.tx(["track", "meta"], "readwrite", (s) => {
        s.track.add({ patrol_uuid: p.client_uuid || null, patrol: p.id || null, segment: p.segment,
                      t: new Date(position.timestamp).toISOString(), lon: c.longitude, lat: c.latitude, acc: c.accuracy });
        s.meta.put({ key: "patrol", value: p });
      });
      const status = document.querySelector("[data-testid=patrol-status]");
      if (status) status.textContent = t("patrol_running", { n: p.points });
      renderStatus();
    }, () => {}, { enableHighAccuracy: true, maximumAge: 0 });
    if (navigator.wakeLock) navigator.wakeLock.request("screen").then((lock) => { state.wakeLock = lock; }, () => {});
  }

  function stopWatch() {
    if (state.watch !== null) navigator.geolocation.clearWatch(state.watch);
    state.watch = null;
    if (state.wakeLock) state.wakeLock.release().catch(() => {});
    state.wakeLock = null;
  }

  /* Move recorded GPS points into track_points items (one transaction: a point is never sent twice or lost). */
  function packTrack() {
    return FieldDB.tx(["track", "outbox"], "readwrite", async (s) => {
      const rows = await FieldDB.req(s.track.getAll());
      const groups = new Map();
      for (const row of rows) {
        const key = JSON.stringify([row.patrol_uuid, row.patrol, row.segment]);
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(row);
      }
      for (const points of groups.values()) {
        for (let i = 0; i < points.length; i += 1000) {
          const chunk = points.slice(i, i + 1000);
          const first = chunk[0];
          const data = { segment: first.segment, points: chunk.map((r) => [r.t, r.lon, r.lat, r.acc]) };
          if (first.patrol_uuid) data.patrol_uuid = first.patrol_uuid; else data.patrol = first.patrol;
          s.outbox.add({ client_uuid: uuid(), kind: "track_points", recorded_at: chunk[chunk.length - 1].t, data, state: "queued" });
        }
      }
      for (const row of rows) s.track.delete(row.seq);
    });
  }

  // --- sync ---------------------------------------------------------------------------------------------------
  let syncTimer = null;
  function syncSoon(delay) {
    clearTimeout(syncTimer);
    syncTimer = setTimeout(() => sync(), delay === undefined ? 300 : delay);
  }

  async function call(method, url, body, headers) {
    const response = await fetch(url, { method, body, cache: "no-store",
      headers: { Authorization: "Device " + state.token, ...(headers || {}) } });
    if (response.status === 401) {
      await signedOut(t("token_revoked"));
      throw new Error("signed out");
    }
    return response;
  }
  const json = { "Content-Type": "application/json" };

  async function refreshBootstrap() {
    const response = await call("GET", CONFIG.api.bootstrap);
    if (response.ok) {
      state.boot = await response.json();
      await FieldDB.set("bootstrap", state.boot);
      await FieldRoute.cacheMap(state.boot, state.token);
    }
  }

  async function sync() {
    if (state.syncing || !state.token || !navigator.onLine) return;
    state.syncing = true;
    setMessage(t("syncing"));
    try {
      await packTrack();
      for (;;) {
        const batch = (await FieldDB.all("outbox")).filter((i) => i.state !== "rejected").slice(0, CONFIG.maxBatchItems);
        if (!batch.length) break;
        // "sending": if the answer is lost, the same items go again, unchanged, and come back "duplicate".
        await FieldDB.tx("outbox", "readwrite", (s) => batch.forEach((i) => { i.state = "sending"; s.outbox.put(i); }));
        const body = JSON.stringify({ device_id: state.deviceId,
          items: batch.map(({ kind, client_uuid, recorded_at, data }) => ({ kind, client_uuid, recorded_at, data })) });
        const response = await call("POST", CONFIG.api.sync, body, json);
        if (!response.ok) throw new Error("sync answered " + response.status);
        const { results } = await response.json();
        await FieldDB.tx("outbox", "readwrite", (s) => results.forEach((result, n) => {
          const item = batch[n];
          if (result.status === "rejected") { item.state = "rejected"; item.errors = result.errors; s.outbox.put(item); }
          else s.outbox.delete(item.seq);
        }));
      }
      for (const edit of (await FieldDB.all("edits")).filter((e) => e.state !== "rejected")) {
        const response = await call("PATCH", CONFIG.api.records + edit.client_uuid + "/", JSON.stringify({ version: edit.version, data: edit.data }), json);
        if (response.status >= 500) throw new Error("edit answered " + response.status);
        await FieldDB.tx("edits", "readwrite", async (s) => {
          if (response.ok) s.edits.delete(edit.seq);
          else { edit.state = "rejected"; edit.error = (await response.json()).error; s.edits.put(edit); }
        });
      }
      const unsynced = new Set((await FieldDB.all("outbox")).map((i) => i.client_uuid));
      for (const photo of (await FieldDB.all("photos")).filter((p) => p.state !== "rejected" && !unsynced.has(p.parent_uuid || p.record_uuid))) {
        const response = await call("PUT", CONFIG.api.photos + photo.record_uuid + "/" + photo.sha256 + "/",
          new Blob([photo.data], { type: photo.content_type }),
          { "Content-Type": photo.content_type, "X-Original-SHA256": photo.original_sha256, "X-Downscaled": photo.downscaled ? "1" : "0" });
        if (response.status >= 500) throw new Error("photo answered " + response.status);
        const error = response.ok ? null : (await response.json()).error;
        await FieldDB.tx("photos", "readwrite", (s) => {
          if (!error) s.photos.delete(photo.seq);
          else { photo.state = "rejected"; photo.error = error; s.photos.put(photo); }
        });
      }
      await refreshBootstrap();
      state.lastSync = nowIso();
      await FieldDB.set("last_sync", state.lastSync);
      setMessage(t("synced"));
    } catch (error) {
      if (state.token) setMessage(t("sync_failed"), true);
    } finally {
      state.syncing = false;
      await renderStatus();
    }
  }

  // --- start ----------------------------------------------------------------------------------------------------
  async function init() {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register(CONFIG.sw, { scope: CONFIG.scope }).catch(() => {});
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    state.deviceId = await FieldDB.get("device_id");
    if (!state.deviceId) {
      state.deviceId = "web-" + uuid();
      await FieldDB.set("device_id", state.deviceId);
    }
    state.token = await FieldDB.get("token");
    state.boot = await FieldDB.get("bootstrap");
    state.lastSync = await FieldDB.get("last_sync");
    state.patrol = (await FieldDB.get("patrol")) || null;
    window.addEventListener("online", () => { renderNet(); syncSoon(); });
    window.addEventListener("offline", renderNet);
    setInterval(() => syncSoon(0), 30000);
    renderNet();
    if (state.token) {
      showHome();
      if (state.patrol && !state.patrol.paused) startWatch();
      syncSoon();
    } else {
      showLogin();
    }
    await renderStatus();
    document.body.dataset.ready = "1";
  }

  init();
})();
