/* The installed app's page side: registers /sw.js, empties the offline pages at logout, says when a page is a
   saved copy, and lets the bottom navigation's "modules" item open the menu. Everything works without it. */
(function () {
  "use strict";
  var body = document.body;

  if ("serviceWorker" in navigator && window.isSecureContext) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* the site works without */ });
    });
  }

  function tellWorker(message) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage(message);
    }
  }

  /* at logout the worker forgets this user's pages (it also does so when it sees the logout or login) */
  document.querySelectorAll('form[action="/logout"]').forEach(function (form) {
    form.addEventListener("submit", function () { tellWorker({type: "formwork:logout"}); });
  });

  /* a page shown from the phone's store: say when it was saved, and that changes need the network */
  var saved = body.getAttribute("data-offline-copy");
  function showNotice(text) {
    var main = document.getElementById("main");
    if (!main || document.querySelector(".offline-notice")) return;
    var notice = document.createElement("p");
    notice.className = "offline-notice";
    notice.setAttribute("role", "status");
    notice.textContent = text;
    main.insertBefore(notice, main.firstChild);
  }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  if (saved !== null) {
    var when = new Date(saved);
    var stamp = isNaN(when.getTime()) ? "" : when.toLocaleString(zh ? "zh-CN" : "en-GB", {
      month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit"});
    showNotice(zh ? "离线副本" + (stamp ? "（保存于 " + stamp + "）" : "") + "：有信号后刷新即可看到最新内容，修改需联网。"
                  : "Offline copy" + (stamp ? " (saved " + stamp + ")" : "") + ": reload when online to see the latest.");
  }
  window.addEventListener("offline", function () {
    body.classList.add("is-offline");
  });
  window.addEventListener("online", function () {
    body.classList.remove("is-offline");
    tellWorker({type: "formwork:sync", tag: "online"});
  });
  if (navigator.onLine === false) body.classList.add("is-offline");

  /* the bottom navigation's "modules": open the menu and bring it into view */
  document.querySelectorAll("[data-open-menu]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var menu = document.querySelector(".nav-details");
      if (!menu) return;
      event.preventDefault();
      menu.open = !menu.open || window.scrollY > 80;
      window.scrollTo({top: 0, behavior: "smooth"});
      var summary = menu.querySelector("summary");
      if (summary && menu.open) summary.focus({preventScroll: true});
    });
  });
})();
