/* Formwork's service worker (served as /sw.js, see web/pwa.py and docs/pwa.md).

   - The app shell (CSS, scripts, icons, the offline page) is kept from the first start; our own /assets/ are
     answered from the cache at once and refreshed behind it.
   - Pages (navigations) go to the network first; a signed-in page that carries the Formwork-Offline header is
     kept in PAGES, per user, and shown from there when the network fails or does not answer in time.
   - Nothing else is ever cached: no POST, no API, no files, no other origin.
   - PAGES is emptied at logout, at the login page, and when a page of another user (or another session)
     arrives, so what one user read is never shown to the next.
   - Other features add their own parts as web/static/pwa/sw-<part>.js; they are appended to this file. */
"use strict";

var VERSION = "__VERSION__";
var SHELL = "formwork-shell-" + VERSION;
var PAGES = "formwork-pages";
var SHELL_URLS = __SHELL__;
var OFFLINE_URL = SHELL_URLS[SHELL_URLS.length - 1];
var OFFLINE_HEADER = "__OFFLINE_HEADER__";
var OWNER_URL = "/__formwork/pages-owner";   // a made-up entry of PAGES: whose pages it holds
var MAX_PAGES = 60;
var PATIENCE_MS = 8000;                      // a weak signal: after this, show the saved copy meanwhile

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) {
    return cache.addAll(SHELL_URLS.map(function (url) {   // past the HTTP cache: this version's files
      return new Request(url, {cache: "reload"});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("formwork-shell-") === 0 && name !== SHELL;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function clearPages() {
  return caches.delete(PAGES);
}

function keepPage(url, response, owner) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(OWNER_URL).then(function (found) {
      return found ? found.text() : null;
    }).then(function (current) {
      if (current !== null && current !== owner) {
        return caches.delete(PAGES).then(function () { return caches.open(PAGES); });
      }
      return cache;
    });
  }).then(function (cache) {
    return response.text().then(function (body) {
      var headers = new Headers(response.headers);
      headers.set("Formwork-Saved-At", new Date().toISOString());
      return Promise.all([
        cache.put(OWNER_URL, new Response(owner)),
        cache.delete(url).then(function () {      // put again: the newest comes last
          return cache.put(url, new Response(body, {status: 200, headers: headers}));
        })
      ]).then(function () { return cache.keys(); });
    }).then(function (keys) {
      var pages = keys.filter(function (request) { return request.url.indexOf(OWNER_URL) < 0; });
      return Promise.all(pages.slice(0, Math.max(0, pages.length - MAX_PAGES)).map(function (request) {
        return cache.delete(request);
      }));
    });
  });
}

/* A saved page says so: the body gets data-offline-copy, which pwa.js turns into a notice. */
function savedCopy(response) {
  var saved = response.headers.get("Formwork-Saved-At") || "";
  return response.text().then(function (body) {
    body = body.replace("<body ", '<body data-offline-copy="' + saved.replace(/[^0-9TZ:.\-]/g, "") + '" ');
    return new Response(body, {status: 200, headers: {"Content-Type": "text/html; charset=utf-8"}});
  });
}

function fromPages(request) {
  return caches.open(PAGES).then(function (cache) {
    return cache.match(request.url, {ignoreVary: true});
  });
}

function page(event) {
  var request = event.request;
  var network = fetch(request).then(function (response) {
    var owner = response.headers.get(OFFLINE_HEADER);
    if (response.ok && response.type === "basic" && owner) {
      event.waitUntil(keepPage(request.url, response.clone(), owner));
    }
    return response;
  });
  var fallback = function () {
    return fromPages(request).then(function (hit) {
      return hit ? savedCopy(hit) : caches.match(OFFLINE_URL);
    });
  };
  var patience = new Promise(function (resolve) {
    setTimeout(function () {
      fromPages(request).then(function (hit) { if (hit) resolve(savedCopy(hit)); });
    }, PATIENCE_MS);
  });
  return Promise.race([network.catch(fallback), patience]);
}

function asset(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok && response.type === "basic") cache.put(request, response.clone());
        return response;
      });
      if (hit) {
        fresh.catch(function () { /* offline: the kept copy serves */ });
        return hit;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (url.pathname === "/logout") event.waitUntil(clearPages());
    return;                                    // writes always go to the network, untouched
  }
  if (url.pathname === "/login") {
    event.waitUntil(clearPages());
    return;
  }
  if (url.pathname.indexOf("/assets/") === 0 || url.pathname === OFFLINE_URL) {
    event.respondWith(asset(request));
  } else if (request.mode === "navigate") {
    event.respondWith(page(event));
  }
});

/* Hooks for the pages: "formwork:logout" empties PAGES; "formwork:sync" (and a Background Sync event) is
   passed on to every open page, where the offline drafts send what waits (their own script listens). */
function tellClients(message) {
  return self.clients.matchAll({type: "window", includeUncontrolled: true}).then(function (clients) {
    clients.forEach(function (client) { client.postMessage(message); });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "formwork:logout") event.waitUntil(clearPages());
  if (data.type === "formwork:sync") event.waitUntil(tellClients({type: "formwork:sync", tag: data.tag || ""}));
});

self.addEventListener("sync", function (event) {
  event.waitUntil(tellClients({type: "formwork:sync", tag: event.tag}));
});
