/* The designer's editor: check the overlay on the server while typing (debounced) and refresh the
   form preview; everything also works without it through the page's own buttons. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-check-url]");
  if (!form) return;
  var url = form.getAttribute("data-check-url");
  var text = document.getElementById("overlay-text");
  var list = document.getElementById("problem-list");
  var status = form.querySelector(".designer-status");
  var preview = document.getElementById("form-preview");
  var entity = document.getElementById("preview-entity");
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var sequence = 0;
  var timer = null;

  function show(result) {
    list.textContent = "";
    (result.problems || []).forEach(function (p) {
      var item = document.createElement("li");
      item.setAttribute("data-line", p.line);
      var where = document.createElement("strong");
      where.textContent = p.where;
      item.appendChild(where);
      item.appendChild(document.createTextNode(" " + p.message));
      list.appendChild(item);
    });
    status.textContent = result.problems && result.problems.length ? "" : status.getAttribute("data-ok");
    if (result.preview) {
      preview.innerHTML = result.preview;  /* rendered and escaped by the server's templates */
    } else if (result.problems && result.problems.length) {
      preview.textContent = preview.getAttribute("data-invalid");
    }
  }

  function check() {
    var mine = ++sequence;
    status.textContent = status.getAttribute("data-checking");
    fetch(url, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": token, "Accept": "application/json"},
                body: JSON.stringify({overlay: text.value, entity: entity ? entity.value : null})})
      .then(function (response) { return response.json(); })
      .then(function (result) { if (mine === sequence) show(result); })
      .catch(function () { status.textContent = ""; });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  }

  text.addEventListener("input", later);
  if (entity) entity.addEventListener("change", check);
  form.querySelectorAll("[data-confirm-click]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm-click"))) event.preventDefault();
    });
  });
})();
