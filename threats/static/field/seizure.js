/* Irbis Field: a seizure or a protocol, logged at an incident, offline.
 * One outbox item of kind "action" holds the action and its seized items (each with its own client UUID);
 * a photo of an item waits under the item's UUID and goes after the action has synced (parent_uuid).
 * app.js hands in its helpers (ui) and calls FieldSeizure.buttons(ui) on the home screen. */
"use strict";
const FieldSeizure = (() => {
  /* The incidents to choose from: those logged on this phone and not yet synced, then the server's. */
  async function incidentOptions(ui) {
    const kindLabel = Object.fromEntries(ui.config.choices.incident.kind.options);
    const queued = (await FieldDB.all("outbox")).filter((i) => i.kind === "incident" && i.state !== "rejected");
    const options = queued.reverse().map((i) => [
      "uuid:" + i.client_uuid,
      `${kindLabel[i.data.kind] || i.data.kind}, ${(i.data.occurred_at || i.recorded_at).slice(0, 10)} (${ui.t("this_phone")})`,
    ]);
    for (const incident of (ui.boot().incidents || [])) {
      if (incident.client_uuid && queued.some((i) => i.client_uuid === incident.client_uuid)) continue;
      options.push([incident.client_uuid ? "uuid:" + incident.client_uuid : "id:" + incident.id,
                    `${kindLabel[incident.kind] || incident.kind}, ${incident.day}`]);
    }
    return options;
  }
  function incidentRef(value) {
    if (value.startsWith("uuid:")) return { incident_uuid: value.slice(5) };
    return { incident: Number(value.slice(3)) };
  }

  function stepper(ui, id) {
    const input = ui.h("input", { id, type: "number", min: 1, value: 1, inputmode: "numeric", class: "quantity" });
    const row = ui.h("div", { class: "row stepper" },
      ui.h("button", { type: "button", "aria-label": "-1", onclick: () => { input.value = Math.max(1, Number(input.value) - 1); } }, "−"),
      input,
      ui.h("button", { type: "button", "aria-label": "+1", onclick: () => { input.value = Number(input.value) + 1; } }, "+"));
    return { input, row };
  }

  /* One seized thing: what, how many, a few words, a photo. Big controls: gloves. */
  function itemBlock(ui, n, onRemove) {
    const spec = ui.config.choices.evidence.kind;
    const kind = ui.select("item-kind-" + n, spec.options, spec.default);
    const quantity = stepper(ui, "f-item-quantity-" + n);
    const description = ui.h("input", { id: "f-item-description-" + n, maxlength: 500 });
    const photo = ui.h("input", { id: "f-item-photo-" + n, type: "file", accept: "image/*", capture: "environment" });
    const el = ui.h("fieldset", { class: "seized-item", "data-item": n },
      ui.field(ui.t("item_kind"), kind),
      ui.h("div", {}, ui.h("label", { for: quantity.input.id }, ui.t("quantity")), quantity.row),
      ui.field(ui.t("description"), description), ui.field(ui.t("item_photo"), photo),
      ui.h("button", { type: "button", class: "secondary", onclick: () => onRemove(el) }, ui.t("remove_item")));
    return { el, kind, quantity: quantity.input, description, photo };
  }

  async function show(ui, mode) {
    const options = await incidentOptions(ui);
    if (!options.length) {
      ui.message(ui.t("no_incidents"), true);
      return;
    }
    const incident = ui.select("incident", options, options[0][0]);
    const where = ui.locationBlock();
    const patrol = ui.patrolSelect();
    const place = ui.h("input", { id: "f-place_name", maxlength: 200 });
    const description = ui.h("textarea", { id: "f-description" });
    const specific = [];
    const items = [];
    let next = 0;
    let kind = null;
    let number = null;
    let amount = null;
    let currency = null;
    let protocolPhoto = null;
    if (mode === "seizure") {
      const list = ui.h("div", { id: "seized-items" });
      const add = () => {
        const block = itemBlock(ui, next++, (el) => { el.remove(); items.splice(items.indexOf(block), 1); });
        items.push(block);
        list.append(block.el);
      };
      add();
      specific.push(ui.h("h2", {}, ui.t("seized")), list,
        ui.h("button", { type: "button", class: "secondary", id: "add-item", onclick: add }, ui.t("add_item")));
    } else {
      const spec = ui.config.choices.action.kind;
      kind = ui.select("action-kind", spec.options, spec.default);
      number = ui.h("input", { id: "f-protocol_number", maxlength: 100 });
      amount = ui.h("input", { id: "f-fine_amount", type: "number", min: 0, step: "0.01", inputmode: "decimal" });
      currency = ui.h("input", { id: "f-fine_currency", maxlength: 3, value: "RUB", autocapitalize: "characters" });
      protocolPhoto = ui.h("input", { id: "f-protocol-photo", type: "file", accept: "image/*", capture: "environment" });
      specific.push(ui.field(ui.t("action_kind"), kind), ui.field(ui.t("protocol_number"), number),
        ui.h("div", { class: "row" }, ui.field(ui.t("fine_amount"), amount), ui.field(ui.t("fine_currency"), currency)),
        ui.field(ui.t("protocol_photo"), protocolPhoto));
    }
    const form = ui.h("form", { id: "action-form", "data-mode": mode },
      ui.h("h1", {}, ui.t(mode)), ui.field(ui.t("at_incident"), incident), where.el, ...specific,
      ui.field(ui.t("place_name"), place), ui.field(ui.t("patrol"), patrol), ui.field(ui.t("description"), description),
      ui.h("button", { type: "submit", id: "save-action" }, ui.t("save")),
      ui.h("button", { type: "button", class: "secondary", onclick: ui.home }, ui.t("back")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const spot = where.value();
      const data = { kind: mode === "seizure" ? "confiscation" : kind.value, taken_at: (spot && spot.at) || ui.nowIso(),
                     place_name: place.value, description: description.value,
                     ...incidentRef(incident.value), ...ui.patrolRef(patrol.value), items: [] };
      if (spot) data.location = spot.location;
      const photos = [];
      if (mode === "seizure") {
        if (!items.length) return ui.message(ui.t("need_item"), true);
        for (const item of items) {
          if (!(Number(item.quantity.value) >= 1)) return ui.message(ui.t("count_invalid"), true);
          const client_uuid = ui.uuid();
          data.items.push({ client_uuid, kind: item.kind.value, quantity: Number(item.quantity.value), description: item.description.value });
          if (item.photo.files.length) photos.push([client_uuid, item.photo.files[0]]);
        }
      } else {
        data.protocol_number = number.value;
        if (amount.value !== "") {
          if (!(Number(amount.value) >= 0)) return ui.message(ui.t("fine_invalid"), true);
          data.fine_amount = amount.value;
          data.fine_currency = currency.value.trim().toUpperCase();
        }
      }
      const action = { client_uuid: ui.uuid(), kind: "action", recorded_at: ui.nowIso(), data, state: "queued" };
      if (protocolPhoto && protocolPhoto.files.length) photos.push([action.client_uuid, protocolPhoto.files[0]]);
      const prepared = [];
      for (const [record_uuid, file] of photos) prepared.push({ record_uuid, ...(await ui.preparePhoto(file)) });
      await FieldDB.tx(["outbox", "photos"], "readwrite", (s) => {
        s.outbox.add(action);
        // parent_uuid: the photo goes once the action it belongs to has synced
        for (const photo of prepared) s.photos.add({ ...photo, parent_uuid: action.client_uuid, state: "queued" });
      });
      ui.message(ui.t("saved"));
      ui.home();
      ui.syncSoon();
    });
    ui.app.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  /* The two big buttons of the home screen. */
  function buttons(ui) {
    return [
      ui.h("button", { id: "new-seizure", onclick: () => show(ui, "seizure") }, ui.t("seizure")),
      ui.h("button", { id: "new-protocol", onclick: () => show(ui, "protocol") }, ui.t("protocol")),
    ];
  }

  return { buttons, show };
})();
