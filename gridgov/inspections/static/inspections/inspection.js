/* The phone inspection form: every answer is saved to the server as soon as it is given, and kept in the
 * browser's localStorage until the server has it. A lost connection loses nothing: unsent answers stay on the
 * phone, are put back into the form after a reload, and are sent again when the connection returns. Submitting
 * waits until every answer has reached the server. Photos cannot go into localStorage (text only, a few MB):
 * a photo waits in IndexedDB, keyed by the inspection and the item, until the server has it, so a photo taken
 * offline survives a reload too. */
(function () {
  "use strict";
  var form = document.getElementById("inspection-form");
  if (!form) return;
  var baseUrl = form.dataset.answerUrl;
  var storageKey = form.dataset.storageKey;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var syncText = document.getElementById("sync-text");
  var progressText = document.getElementById("progress-text");
  var total = parseInt(document.getElementById("sync-status").dataset.total, 10);
  var sending = {};

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storageKey) || "{}"); } catch (e) { return {}; }
  }
  function store(pending) {
    try {
      if (Object.keys(pending).length) window.localStorage.setItem(storageKey, JSON.stringify(pending));
      else window.localStorage.removeItem(storageKey);
    } catch (e) { /* storage full or disabled: the server copy is all we have */ }
  }
  var pending = load();

  var photoDb = null;
  var photoMemory = {};  // the same photos, for browsers without IndexedDB (kept until the page is left)
  function openPhotos() {
    if (photoDb) return photoDb;
    photoDb = new Promise(function (resolve) {
      var request;
      try { request = window.indexedDB.open("gridgov-inspection-photos", 1); } catch (e) { resolve(null); return; }
      request.onupgradeneeded = function () { request.result.createObjectStore("photos"); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
    });
    return photoDb;
  }
  function photoStore(mode, action) {
    return openPhotos().then(function (db) {
      if (!db) return null;
      return new Promise(function (resolve) {
        try {
          var tx = db.transaction("photos", mode);
          var request = action(tx.objectStore("photos"));
          tx.oncomplete = function () { resolve(request.result || null); };
          tx.onerror = tx.onabort = function () { resolve(null); };
        } catch (e) { resolve(null); }
      });
    });
  }
  function photoKey(id) { return storageKey + ":" + id; }
  function photoKeep(id, file) {
    photoMemory[id] = file;
    return photoStore("readwrite", function (s) { return s.put(file, photoKey(id)); });
  }
  function photoFor(id, entry) {
    if (!entry.photo) return Promise.resolve(null);
    if (photoMemory[id]) return Promise.resolve(photoMemory[id]);
    return photoStore("readonly", function (s) { return s.get(photoKey(id)); });
  }
  function photoForget(id) {
    delete photoMemory[id];
    return photoStore("readwrite", function (s) { return s.delete(photoKey(id)); });
  }

  function itemBox(id) { return document.getElementById("item-" + id); }
  function field(box, name) { return box.querySelector("[name=" + name + "-" + box.dataset.item + "]"); }
  function read(box) {
    var checked = box.querySelector("input[type=radio]:checked");
    var value = field(box, "value");
    var note = field(box, "note");
    return { result: checked ? checked.value : "", value: value ? value.value : "", note: note ? note.value : "" };
  }
  function write(box, entry) {
    box.querySelectorAll("input[type=radio]").forEach(function (r) { r.checked = r.value === entry.result; });
    if (field(box, "value")) field(box, "value").value = entry.value || "";
    if (field(box, "note")) field(box, "note").value = entry.note || "";
  }
  function status(box, text, tone) {
    var p = box.querySelector(".insp-item-status");
    p.textContent = text;
    p.dataset.tone = tone || "";
  }
  function progress() {
    var done = form.querySelectorAll(".insp-item input[type=radio]:checked").length;
    progressText.textContent = form.dataset.msgProgress.replace("%(a)s", done).replace("%(t)s", total);
    form.querySelectorAll(".insp-item").forEach(function (box) {
      var checked = box.querySelector("input[type=radio]:checked");
      box.classList.toggle("is-fail", !!checked && checked.value === "fail");
      box.classList.toggle("is-done", !!checked);
    });
  }
  function overall() {
    var n = Object.keys(pending).length;
    if (!n) { syncText.textContent = form.dataset.msgSaved; syncText.dataset.tone = "ok"; }
    else if (!navigator.onLine) { syncText.textContent = form.dataset.msgOffline + " (" + n + ")"; syncText.dataset.tone = "warn"; }
    else { syncText.textContent = form.dataset.msgPending + " " + n; syncText.dataset.tone = "warn"; }
  }

  function send(id) {
    var entry = pending[id];
    var box = itemBox(id);
    if (!entry || !box || !entry.result || sending[id]) return Promise.resolve();
    sending[id] = true;
    var snapshot = JSON.stringify(entry);
    return photoFor(id, entry).then(function (photo) {
      var body = new FormData();
      body.append("result", entry.result);
      body.append("value", entry.value);
      body.append("note", entry.note);
      if (photo) body.append("photo", photo, photo.name || "photo.jpg");
      return fetch(baseUrl + id + "/", {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
      });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          if (JSON.stringify(pending[id]) === snapshot) {
            delete pending[id];
            if (entry.photo) photoForget(id);
          }
          status(box, form.dataset.msgSaved, "ok");
        } else if (response.status >= 400 && response.status < 500) {
          var fields = data.fields || {};
          var first = Object.keys(fields)[0];
          status(box, first ? fields[first][0] : (data.detail || form.dataset.msgError), "error");
          pending[id].rejected = true;
        } else {
          status(box, form.dataset.msgOffline, "warn");
        }
      });
    }).catch(function () {
      status(box, form.dataset.msgOffline, "warn");
    }).then(function () {
      sending[id] = false;
      store(pending);
      overall();
    });
  }

  function flush() {
    return Promise.all(Object.keys(pending).filter(function (id) { return !pending[id].rejected; })
      .map(function (id) { return send(id); }));
  }

  function changed(event) {
    var box = event.target.closest(".insp-item");
    if (!box) return;
    var id = box.dataset.item;
    var before = pending[id];
    pending[id] = read(box);
    if (before && before.photo) pending[id].photo = before.photo;  // a photo not yet sent stays attached
    if (event.target.type === "file") {
      if (event.type !== "change" || !event.target.files.length) return;  // Chromium fires "input" too
      pending[id].photo = Date.now();  // a new photo: the entry changes, so an answer in flight keeps it pending
      store(pending);
      progress();
      photoKeep(id, event.target.files[0]).then(function () { send(id); });
      return;
    }
    store(pending);
    progress();
    if (event.type === "input") { overall(); return; }  // typed text is kept now, sent on "change"
    send(id);
  }

  // Put back what the phone kept but the server never got (a reload while offline).
  Object.keys(pending).forEach(function (id) {
    var box = itemBox(id);
    if (!box) { delete pending[id]; photoForget(id); return; }
    delete pending[id].rejected;
    write(box, pending[id]);
    status(box, form.dataset.msgPending, "warn");
  });
  store(pending);
  progress();
  overall();

  form.addEventListener("change", changed);
  form.addEventListener("input", changed);
  window.addEventListener("online", function () { flush(); overall(); });
  window.addEventListener("offline", overall);
  window.setInterval(function () { if (navigator.onLine && Object.keys(pending).length) flush(); }, 15000);
  flush();

  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) return;
    event.preventDefault();
    flush().then(function () {
      var left = Object.keys(pending).length;
      if (left) { overall(); syncText.scrollIntoView({ block: "center" }); return; }
      var done = function () { submitting = true; form.submit(); };
      if (!navigator.geolocation) { done(); return; }
      var timer = window.setTimeout(done, 3000);
      navigator.geolocation.getCurrentPosition(function (pos) {
        window.clearTimeout(timer);
        document.getElementById("id_latitude").value = pos.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = pos.coords.longitude.toFixed(6);
        done();
      }, function () { window.clearTimeout(timer); done(); }, { timeout: 2500, maximumAge: 60000 });
    });
  });
})();
