/* Offline drafts: a new-record form saved on the phone (IndexedDB, with its photos and signature) while
   there is no signal, and sent when the signal returns — each exactly once, because every draft carries
   the form's idempotency key and the server creates at most one record per key.

   A draft is {id, key, action, page, title, entries: [[name, text or File]], status, errors, savedAt,
   recordUrl}. status: "waiting" (to send), "inflight" (a normal submit is under way), "invalid" (the
   server refused its values: open it and correct), "conflict" (409), "sent" (a receipt, files dropped).
   window.FormworkOffline is the API other scripts (camera, signature pad) may use. */
(function () {
  "use strict";
  var script = document.currentScript;
  var draftsUrl = (script && script.getAttribute("data-drafts-url")) || "/drafts";
  var DB_NAME = "formwork-offline";
  var STORE = "drafts";
  var RETRY_MS = 30000;
  var KEEP_RECEIPT_MS = 24 * 3600 * 1000;
  var zh = (document.documentElement.lang || "zh").slice(0, 2) !== "en";
  var WORDS = {
    saved: ["已保存到本机，联网后自动提交", "Saved on this phone; it will be sent when the signal returns"],
    pending: ["待发送 {n}", "{n} waiting to send"],
    title: ["待发送", "Waiting to send"],
    empty: ["没有待发送的单据", "Nothing waiting to send"],
    waiting: ["等待联网", "Waiting for the signal"],
    inflight: ["正在提交", "Being sent"],
    sending: ["正在发送…", "Sending…"],
    invalid: ["需修改后重新保存", "Needs changes, then save again"],
    conflict: ["冲突", "Conflict"],
    sent: ["已提交", "Sent"],
    view: ["查看单据", "Open the record"],
    open: ["打开修改", "Open and correct"],
    remove: ["删除", "Delete"],
    confirmRemove: ["删除这份草稿？其中的照片和签字也会删除。", "Delete this draft, with its photos and signature?"],
    login: ["登录已过期：请重新登录，之后自动发送", "Signed out: sign in again and it is sent"],
    failed: ["发送失败（{status}），稍后重试", "Sending failed ({status}); it is tried again"],
    files: ["{n} 个附件", "{n} files"],
    savedAt: ["保存于 {time}", "Saved {time}"],
    another: ["再写一张", "Write another"],
    showList: ["查看待发送", "See what waits"],
    reopened: ["已从本机草稿恢复，修改后保存", "Restored from the draft on this phone; correct it and save"]
  };

  function t(word, values) {
    var text = WORDS[word][zh ? 0 : 1];
    Object.keys(values || {}).forEach(function (k) { text = text.replace("{" + k + "}", values[k]); });
    return text;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  /* -- storage (IndexedDB) ----------------------------------------------------------------------- */
  var opened = null;
  function db() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var request = window.indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () { request.result.createObjectStore(STORE, {keyPath: "id"}); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return opened;
  }

  function run(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }
  function get(id) { return run("readonly", function (store) { return store.get(id); }); }
  function put(draft) { return run("readwrite", function (store) { store.put(draft); }); }
  function remove(id) { return run("readwrite", function (store) { store["delete"](id); }); }

  /* -- drafts from forms and back ---------------------------------------------------------------- */
  function entriesOf(form, submitter) {
    var data;
    try { data = submitter ? new FormData(form, submitter) : new FormData(form); }
    catch (error) { data = new FormData(form); }
    var entries = [];
    data.forEach(function (value, name) {
      if (name === "_csrf") return;
      if (value instanceof Blob && !value.size && !value.name) return;   // a file input left empty
      if (value instanceof File && !value.size && !value.name) return;
      entries.push([name, value]);
    });
    if (!entries.some(function (e) { return e[0] === "_action"; })) entries.push(["_action", "save"]);
    return entries;
  }

  function keyOf(form) {
    var input = form.querySelector('input[name="_idempotency_key"]');
    return input ? input.value : "";
  }

  function draftOf(form, submitter) {
    var heading = document.querySelector("main h1, h1");
    var key = keyOf(form);
    return {
      id: form.getAttribute("data-draft-id") || key, key: key, action: form.action,
      page: window.location.pathname, title: heading ? heading.textContent.trim() : document.title,
      entries: entriesOf(form, submitter), status: "waiting", errors: [], savedAt: Date.now(), recordUrl: ""
    };
  }

  function summaryOf(draft) {
    var texts = [];
    var files = 0;
    (draft.entries || []).forEach(function (entry) {
      if (entry[1] instanceof Blob) files += 1;
      else if (entry[0].charAt(0) !== "_" && texts.length < 2 && entry[1] && !/^[0-9a-f-]{20,}$/i.test(entry[1]) &&
               entry[0].indexOf("[") < 0) texts.push(String(entry[1]).slice(0, 40));
    });
    if (files) texts.push(t("files", {n: files}));
    return texts.join(" · ");
  }

  function fill(form, draft) {
    var files = {};
    var seen = {};
    draft.entries.forEach(function (entry) {
      var name = entry[0];
      var value = entry[1];
      if (name === "_action" || name === "_csrf") return;
      if (value instanceof Blob) { (files[name] = files[name] || []).push(value); return; }
      var fields = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
      fields.forEach(function (field) {
        if (field.type === "file") return;
        if (field.type === "checkbox" || field.type === "radio") {
          if (!seen[name]) fields.forEach(function (f) { f.checked = false; });
          if (field.value === value) field.checked = true;
        } else if (field.tagName === "SELECT" && field.multiple) {
          if (!seen[name]) Array.prototype.forEach.call(field.options, function (o) { o.selected = false; });
          Array.prototype.forEach.call(field.options, function (o) { if (o.value === value) o.selected = true; });
        } else {
          field.value = value;
        }
      });
      seen[name] = true;
    });
    Object.keys(files).forEach(function (name) {
      var input = form.querySelector('input[type="file"][name="' + CSS.escape(name) + '"]');
      if (!input || !window.DataTransfer) return;
      var transfer = new DataTransfer();
      files[name].forEach(function (blob) {
        transfer.items.add(blob instanceof File ? blob : new File([blob], "file", {type: blob.type}));
      });
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", {bubbles: true}));
    });
    var keyInput = form.querySelector('input[name="_idempotency_key"]');
    if (keyInput) keyInput.value = draft.status === "conflict" ? newKey() : draft.key;
    form.setAttribute("data-draft-id", draft.id);
    form.dispatchEvent(new Event("input", {bubbles: true}));
  }

  /* -- sending --------------------------------------------------------------------------------- */
  var sending = {};

  function errorsOf(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var items = page.querySelectorAll(".error-summary li, .alert-error");
    var texts = [];
    items.forEach(function (item) {
      var text = item.textContent.replace(/\s+/g, " ").trim();
      if (text && texts.indexOf(text) < 0 && !(item.classList.contains("error-summary"))) texts.push(text);
    });
    return texts.slice(0, 12);
  }

  function isRecordPage(url) {
    var path = new URL(url, window.location.href).pathname;
    return /^\/m\/[^/]+\/[^/]+\/[^/]+$/.test(path) && !/\/new$/.test(path);
  }

  function finish(draft, url) {
    draft.status = "sent";
    draft.recordUrl = url;
    draft.summary = summaryOf(draft);
    draft.entries = [];   // the photos are on the server now
    draft.errors = [];
    return put(draft);
  }

  function send(draft) {
    var check = window.location.origin + draftsUrl + "/sent/" + encodeURIComponent(draft.key);
    return fetch(check, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (answer) {
      if (answer.redirected || answer.status === 401) { draft.errors = [t("login")]; return put(draft); }
      if (answer.ok) return answer.json().then(function (body) { return finish(draft, body.url); });
      if (answer.status !== 404) throw new Error("check " + answer.status);
      var data = new FormData();
      draft.entries.forEach(function (entry) {
        if (entry[1] instanceof Blob) data.append(entry[0], entry[1], entry[1].name || "file");
        else data.append(entry[0], entry[1]);
      });
      data.set("_csrf", csrfToken());
      data.set("_idempotency_key", draft.key);
      return fetch(draft.action, {method: "POST", body: data, credentials: "same-origin",
                                  headers: {"Idempotency-Key": draft.key, "X-CSRF-Token": csrfToken()}})
        .then(function (response) {
          if (response.ok && response.redirected && isRecordPage(response.url)) return finish(draft, response.url);
          if (response.redirected && /\/login/.test(response.url)) { draft.errors = [t("login")]; return put(draft); }
          return response.text().then(function (html) {
            if (response.status === 422 || response.status === 409) {
              draft.status = response.status === 422 ? "invalid" : "conflict";
              draft.errors = errorsOf(html);
            } else {
              draft.errors = [t("failed", {status: response.status})];
            }
            return put(draft);
          });
        });
    });
  }

  function sync() {
    if (!navigator.onLine) return Promise.resolve();
    return all().then(function (drafts) {
      var now = Date.now();
      var work = drafts.map(function (draft) {
        if (draft.status === "sent" && now - draft.savedAt > KEEP_RECEIPT_MS) return remove(draft.id);
        if (draft.status !== "waiting" || sending[draft.id]) return null;
        sending[draft.id] = true;
        draw();
        return send(draft).catch(function () { return null; })   // no signal after all: the next try
          .then(function () { delete sending[draft.id]; });
      });
      return Promise.all(work);
    }).then(draw, function () { return null; });
  }

  /* -- what the user sees ------------------------------------------------------------------------ */
  function moment(ms) {   // the pages' one format, in the phone's own clock (it was saved there)
    var d = new Date(ms);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + two(d.getHours()) + ":" +
      two(d.getMinutes());
  }

  function statusText(draft) {
    if (sending[draft.id]) return t("sending");
    return t(draft.status in WORDS ? draft.status : "waiting");
  }

  function item(draft) {
    var time = moment(draft.savedAt);
    var actions = el("div", {"class": "offline-draft-actions"});
    if (draft.status === "sent" && draft.recordUrl) {
      actions.appendChild(el("a", {"class": "button button-primary", href: draft.recordUrl, text: t("view")}));
    } else {
      actions.appendChild(el("a", {"class": "button button-secondary", href: draft.page + "#draft=" + draft.id,
                                   text: t("open")}));
    }
    var drop = el("button", {type: "button", "class": "button button-ghost", text: t("remove")});
    drop.addEventListener("click", function () {
      if (draft.status === "sent" || window.confirm(t("confirmRemove"))) remove(draft.id).then(draw);
    });
    actions.appendChild(drop);
    var errors = (draft.errors || []).length ? el("ul", {"class": "offline-draft-errors"},
      draft.errors.map(function (text) { return el("li", {text: text}); })) : null;
    return el("li", {"class": "offline-draft is-" + (sending[draft.id] ? "sending" : draft.status),
                     "data-draft-id": draft.id}, [
      el("div", {"class": "offline-draft-head"}, [
        el("strong", {text: draft.title}),
        el("span", {"class": "offline-draft-status", text: statusText(draft)})
      ]),
      el("p", {"class": "muted small", text: [draft.summary || summaryOf(draft), t("savedAt", {time: time})]
        .filter(Boolean).join(" · ")}),
      errors, actions
    ]);
  }

  function draw() {
    return all().then(function (drafts) {
      var open = drafts.filter(function (d) { return d.status !== "sent"; });
      document.querySelectorAll("[data-offline-drafts]").forEach(function (box) {
        box.textContent = "";
        if (!drafts.length) { box.appendChild(el("p", {"class": "muted", text: t("empty")})); return; }
        box.appendChild(el("ul", {"class": "offline-draft-list"}, drafts.slice().reverse().map(item)));
      });
      var link = document.querySelector(".offline-pending");
      if (window.location.pathname === draftsUrl) return;   // the list itself is on screen
      if (!open.length) { if (link) link.hidden = true; return; }
      if (!link) {
        link = el("a", {"class": "offline-pending", href: draftsUrl});
        var head = document.querySelector("main .page-head") || document.querySelector("main");
        if (head) head.appendChild(link);
      }
      link.hidden = false;
      link.textContent = t("pending", {n: open.length});
    }, function () { return null; });
  }

  function notice(form, text, withList) {
    var box = document.querySelector(".offline-notice");
    if (!box) {
      box = el("div", {"class": "offline-notice", role: "status"});
      form.parentNode.insertBefore(box, form);
    }
    box.textContent = "";
    box.appendChild(el("p", {"class": "offline-notice-text", text: text}));
    if (withList) {
      var again = el("button", {type: "button", "class": "button button-secondary", text: t("another")});
      again.addEventListener("click", function () {
        form.reset();
        form.removeAttribute("data-draft-id");
        var keyInput = form.querySelector('input[name="_idempotency_key"]');
        if (keyInput) keyInput.value = newKey();
        box.remove();
        window.scrollTo(0, 0);
      });
      box.appendChild(el("div", {"class": "offline-notice-actions"}, [
        again, el("a", {"class": "button button-ghost", href: draftsUrl, text: t("showList")})]));
      box.appendChild(el("section", {"class": "offline-drafts", "data-offline-drafts": ""}));
    }
    box.scrollIntoView({block: "start"});
    return draw();
  }

  /* -- the form --------------------------------------------------------------------------------- */
  function saveOffline(form, submitter) {
    var draft = draftOf(form, submitter);
    return put(draft).then(function () {
      form.setAttribute("data-draft-id", draft.id);
      return notice(form, t("saved"), true);
    });
  }

  function watch(form) {
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name === "_action" && submitter.value !== "save") return;  // add a row, recalculate
      if (form.getAttribute("data-offline-pass") === "1") { form.removeAttribute("data-offline-pass"); return; }
      if (event.defaultPrevented) return;
      event.preventDefault();
      if (!navigator.onLine) { saveOffline(form, submitter); return; }
      // Online: keep the draft while the send is under way, so a send lost on the way is sent again later
      // (with the same key: the server makes one record whatever happens).
      var draft = draftOf(form, submitter);
      draft.status = "inflight";
      var go = function () {
        form.setAttribute("data-offline-pass", "1");
        if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
      };
      put(draft).then(go, go);
    });
  }

  function settleInflight() {
    // A page loaded: the submit that was under way has ended. The form on screen still holding its key has
    // it (the server answered with the form again); any other was lost or succeeded: `send` finds out which.
    var onScreen = {};
    document.querySelectorAll('input[name="_idempotency_key"]').forEach(function (input) { onScreen[input.value] = 1; });
    return all().then(function (drafts) {
      return Promise.all(drafts.filter(function (d) { return d.status === "inflight"; }).map(function (draft) {
        if (onScreen[draft.key]) return remove(draft.id);
        draft.status = "waiting";
        return put(draft);
      }));
    });
  }

  function reopen(forms) {
    var match = /^#draft=(.+)$/.exec(window.location.hash);
    if (!match || !forms.length) return Promise.resolve();
    return get(decodeURIComponent(match[1])).then(function (draft) {
      if (!draft || draft.status === "sent") return;
      fill(forms[0], draft);
      var box = notice(forms[0], t("reopened"), false);
      if (draft.errors && draft.errors.length) {
        var list = el("ul", {"class": "offline-draft-errors"},
                      draft.errors.map(function (text) { return el("li", {text: text}); }));
        document.querySelector(".offline-notice").appendChild(list);
      }
      return box;
    });
  }

  function start() {
    var forms = Array.prototype.filter.call(document.querySelectorAll("form.record-form"), function (form) {
      return !!form.querySelector('input[name="_idempotency_key"]');
    });
    forms.forEach(watch);
    settleInflight().then(function () { return reopen(forms); }).then(draw).then(sync).catch(function () {
      return null;
    });
    window.addEventListener("online", function () { sync(); });
    if (navigator.serviceWorker) {   /* the app's worker passes Background Sync and "back online" on (pwa.js) */
      navigator.serviceWorker.addEventListener("message", function (event) {
        if (event.data && event.data.type === "formwork:sync") sync();
      });
    }
    window.setInterval(sync, RETRY_MS);
  }

  window.FormworkOffline = {
    /* Save the form as a draft now (e.g. a capture script that sees no signal); resolves when stored. */
    save: function (form) { return saveOffline(form, null); },
    /* Send every waiting draft now. */
    sync: sync,
    /* All drafts, oldest first. */
    drafts: all,
    remove: function (id) { return remove(id).then(draw); },
    isOnline: function () { return navigator.onLine; }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
