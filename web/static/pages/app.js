/* Formwork pages: small enhancements over server-rendered HTML. Everything works without them;
   with them, computed fields update while typing, table rows are added in place, and the filter
   builder offers the right operators and values per field. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  /* -- navigation: open on wide screens, a collapsed menu on phones -------------------------- */
  var nav = document.querySelector("[data-open-wide]");
  if (nav && window.matchMedia("(min-width: 901px)").matches) nav.open = true;

  /* -- confirmations -------------------------------------------------------------------------- */
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  /* -- read-only fields to copy from (a one-time link): focusing selects the whole text ------- */
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  /* -- money inputs: thousand separators once typed ------------------------------------------ */
  function groupDigits(text) {
    var clean = text.replace(/[,，\s¥￥]/g, "");
    if (!/^-?\d+(\.\d*)?$/.test(clean)) return text;
    var parts = clean.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }
  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-money]") && input.value) input.value = groupDigits(input.value);
  });

  /* -- record forms: live preview of computed fields ----------------------------------------- */
  document.querySelectorAll("form[data-preview-url]").forEach(function (form) {
    var url = form.getAttribute("data-preview-url");
    var sequence = 0;

    function apply(result) {
      var outputs = {};
      Object.keys(result.fields || {}).forEach(function (k) { outputs[k] = result.fields[k]; });
      Object.keys(result.cells || {}).forEach(function (k) { outputs[k] = result.cells[k]; });
      Object.keys(result.totals || {}).forEach(function (k) { outputs[k] = result.totals[k]; });
      form.querySelectorAll("[data-out]").forEach(function (el) {
        var key = el.getAttribute("data-out");
        if (!(key in outputs)) return;
        var text = outputs[key] || "";
        if (el.textContent !== text) {
          el.textContent = text;
          el.classList.remove("is-updated");
          void el.offsetWidth;
          el.classList.add("is-updated");
        }
      });
      Object.keys(result.visible || {}).forEach(function (name) {
        var wrapper = form.querySelector('[data-field="' + name + '"]');
        if (wrapper) wrapper.hidden = !result.visible[name];
      });
      Object.keys(result.readonly || {}).forEach(function (name) {
        var wrapper = form.querySelector('[data-field="' + name + '"]');
        if (!wrapper) return;
        wrapper.querySelectorAll("input, textarea, select").forEach(function (input) {
          var locked = !!result.readonly[name];
          if (input.tagName === "SELECT" || input.type === "checkbox") {
            input.classList.toggle("is-readonly", locked);
            input.setAttribute("aria-readonly", locked ? "true" : "false");
            input.tabIndex = locked ? -1 : 0;
          } else {
            input.readOnly = locked;
          }
        });
        wrapper.classList.toggle("is-locked", !!result.readonly[name]);
      });
    }

    var refresh = debounce(function () {
      var mine = ++sequence;
      var body = new FormData(form);
      body.delete("_action");
      form.querySelectorAll('input[type="file"]').forEach(function (input) {  // kept ids go, file contents do not
        var kept = body.getAll(input.name).filter(function (value) { return typeof value === "string"; });
        body.delete(input.name);
        kept.forEach(function (value) { body.append(input.name, value); });
      });
      fetch(url, {method: "POST", body: body, credentials: "same-origin",
                  headers: {"X-CSRF-Token": csrfToken, "Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (result) { if (result && mine === sequence) apply(result); })
        .catch(function () { /* the saved values are computed on the server anyway */ });
    }, 250);

    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    form.addEventListener("click", function (event) {
      var add = event.target.closest("[data-add-row]");
      var remove = event.target.closest("[data-remove-row]");
      if (add) {
        event.preventDefault();
        var name = add.getAttribute("data-add-row");
        var template = document.getElementById("row-template-" + name);
        var body = form.querySelector('table[data-table="' + name + '"] tbody');
        if (!template || !body) return;
        var used = Array.prototype.map.call(body.querySelectorAll("tr[data-row]"), function (row) {
          return parseInt(row.getAttribute("data-row"), 10) || 0;
        });
        var index = used.length ? Math.max.apply(null, used) + 1 : 0;
        var html = template.innerHTML.split("__i__").join(String(index))
                                     .split("__n__").join(String(body.children.length + 1));
        body.insertAdjacentHTML("beforeend", html);
        var first = body.lastElementChild.querySelector("input:not([type=hidden]), select, textarea");
        if (first) first.focus();
        refresh();
      } else if (remove) {
        event.preventDefault();
        var row = remove.closest("tr");
        var table = row.closest("table");
        row.remove();
        var next = table.querySelector("tbody input:not([type=hidden]), tbody select");
        if (next) next.focus();
        refresh();
      }
    });
  });

  /* -- ref inputs with many records: search as you type --------------------------------------- */
  document.querySelectorAll("input[data-search-url]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-for"));
    if (!select) return;
    input.addEventListener("input", debounce(function () {
      var url = input.getAttribute("data-search-url") + "?q=" + encodeURIComponent(input.value);
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (result) {
          if (!result) return;
          var current = select.value;
          var keep = Array.prototype.filter.call(select.options, function (o) { return o.value === "" || o.value === current; });
          select.innerHTML = "";
          keep.forEach(function (o) { select.appendChild(o); });
          result.items.forEach(function (item) {
            if (item.id === current) return;
            var option = document.createElement("option");
            option.value = item.id;
            option.textContent = item.title;
            select.appendChild(option);
          });
        });
    }, 250));
  });

  /* -- list filter builder -------------------------------------------------------------------- */
  var builder = document.querySelector("[data-builder]");
  if (builder) {
    var spec = JSON.parse(builder.getAttribute("data-builder"));
    var counter = builder.querySelectorAll("[data-condition]").length;

    function valueWidget(row, field) {
      var current = row.querySelector('[data-role="value"]');
      var family = field ? field.family : "text";
      var options = field ? field.options : [];
      var operator = row.querySelector('[data-role="operator"]').value;
      var needsNone = ["empty", "not_empty", "true", "false"].indexOf(operator) >= 0;
      var wantSelect = options && options.length && ["choice", "multi"].indexOf(family) >= 0;
      var replacement;
      if (wantSelect && current.tagName !== "SELECT") {
        replacement = document.createElement("select");
        options.forEach(function (pair) {
          var option = document.createElement("option");
          option.value = pair[0];
          option.textContent = pair[1];
          if (pair[0] === current.value || pair[1] === current.value) option.selected = true;
          replacement.appendChild(option);
        });
      } else if (!wantSelect && current.tagName === "SELECT") {
        replacement = document.createElement("input");
        replacement.type = "text";
      }
      if (replacement) {
        replacement.name = "v";
        replacement.id = current.id;
        replacement.setAttribute("data-role", "value");
        current.replaceWith(replacement);
        current = replacement;
      }
      if (current.tagName === "INPUT") {
        current.type = family === "date" ? "date" : (family === "datetime" ? "datetime-local" : "text");
        current.inputMode = family === "number" ? "decimal" : "";
      }
      current.hidden = needsNone;
    }

    function operators(row) {
      var name = row.querySelector('[data-role="field"]').value;
      var field = spec.fields[name];
      var select = row.querySelector('[data-role="operator"]');
      var chosen = select.value;
      var list = spec.operators[field ? field.family : "text"];
      select.innerHTML = "";
      list.forEach(function (pair) {
        var option = document.createElement("option");
        option.value = pair[0];
        option.textContent = pair[1];
        if (pair[0] === chosen) option.selected = true;
        select.appendChild(option);
      });
      valueWidget(row, field);
    }

    builder.querySelectorAll("[data-condition]").forEach(function (row) {
      var name = row.querySelector('[data-role="field"]').value;
      valueWidget(row, spec.fields[name]);
    });
    builder.addEventListener("change", function (event) {
      var row = event.target.closest("[data-condition]");
      if (!row) return;
      if (event.target.getAttribute("data-role") === "field") operators(row);
      if (event.target.getAttribute("data-role") === "operator") valueWidget(row, spec.fields[row.querySelector('[data-role="field"]').value]);
    });
    builder.addEventListener("click", function (event) {
      var remove = event.target.closest("[data-remove-condition]");
      if (!remove) return;
      var row = remove.closest("[data-condition]");
      if (builder.querySelectorAll("[data-condition]").length > 1) {
        row.remove();
      } else {
        row.querySelectorAll("select, input").forEach(function (el) { if (el.tagName === "INPUT") el.value = ""; else el.selectedIndex = 0; });
      }
    });
    var addButton = document.querySelector("[data-add-condition]");
    if (addButton) {
      addButton.addEventListener("click", function () {
        var rows = builder.querySelectorAll("[data-condition]");
        var copy = rows[rows.length - 1].cloneNode(true);
        counter += 1;
        copy.querySelectorAll("[id]").forEach(function (el) { el.id = el.id.replace(/\d+$/, String(counter)); });
        copy.querySelectorAll("label[for]").forEach(function (el) { el.htmlFor = el.htmlFor.replace(/\d+$/, String(counter)); });
        copy.querySelector('[data-role="field"]').selectedIndex = 0;
        builder.appendChild(copy);
        operators(copy);
        var value = copy.querySelector('[data-role="value"]');
        if (value.tagName === "INPUT") value.value = "";
        copy.querySelector('[data-role="field"]').focus();
      });
    }
  }

  /* -- inbox and list printing: select all ------------------------------------------------------- */
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.getAttribute("data-select-all");
      document.querySelectorAll('input[type="checkbox"][form="' + form + '"]').forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
  /* -- import: poll the progress of a check or an import, then show its outcome ------------------ */
  var progress = document.querySelector("[data-progress-url]");
  if (progress) {
    var text = document.getElementById("import-progress-text");
    var poll = function () {
      fetch(progress.getAttribute("data-progress-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json(); })
        .then(function (state) {
          progress.max = Math.max(state.total, 1);
          progress.value = state.done;
          if (text) text.textContent = text.textContent.replace(/\d+(\D+)\d+/, state.done + "$1" + state.total);
          if (state.finished) window.location.assign(progress.getAttribute("data-next-url"));
          else window.setTimeout(poll, 400);
        })
        .catch(function () { window.setTimeout(poll, 1500); });
    };
    window.setTimeout(poll, 200);
  }
})();
