/* IndexedDB for the field app: everything waits here until the server has it. */
"use strict";
const FieldDB = (() => {
  const NAME = "irbis-field";
  let dbPromise = null;

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("meta", { keyPath: "key" });
          db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true }).createIndex("client_uuid", "client_uuid", { unique: true });
          db.createObjectStore("photos", { keyPath: "seq", autoIncrement: true }).createIndex("record_uuid", "record_uuid");
          db.createObjectStore("track", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("edits", { keyPath: "seq", autoIncrement: true });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  /* Run fn(stores) in one transaction; resolves with fn's result once the transaction is committed. */
  async function tx(names, mode, fn) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const t = db.transaction(names, mode, { durability: "strict" });
      const stores = {};
      for (const name of [].concat(names)) stores[name] = t.objectStore(name);
      let result;
      Promise.resolve(fn(stores)).then((value) => { result = value; }, (error) => { t.abort(); reject(error); });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  const req = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

  return {
    tx, req,
    all: (name) => tx(name, "readonly", (s) => req(s[name].getAll())),
    get: async (key) => { const row = await tx("meta", "readonly", (s) => req(s.meta.get(key))); return row ? row.value : undefined; },
    set: (key, value) => tx("meta", "readwrite", (s) => req(s.meta.put({ key, value }))),
  };
})();
