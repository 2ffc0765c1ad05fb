/* The designer's formula editor: every input[data-formula] / textarea[data-formula] gets autocomplete of the
   entity's fields (by label or key, following ref. paths), functions and params.<name>, a type check as you type
   and the value on a sample record. The server checks and computes (POST .../formula); nothing is evaluated here.
   Attributes: data-module, data-entity, data-expect (boolean|number|text|date), data-row-table (a table's rows). */
(function () {
  "use strict";
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var vocabularies = {};
  var WORD = /[A-Za-z_\u3400-\u9fff][A-Za-z0-9_.\u3400-\u9fff]*$/;

  function base(input) {
    return "/designer/" + encodeURIComponent(input.getAttribute("data-module")) + "/" +
      encodeURIComponent(input.getAttribute("data-entity")) + "/formula";
  }

  function vocabulary(input) {
    var table = input.getAttribute("data-row-table") || "";
    var url = base(input) + "/vocabulary" + (table ? "?row_table=" + encodeURIComponent(table) : "");
    if (!vocabularies[url]) {
      vocabularies[url] = fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.json(); });
    }
    return vocabularies[url];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function matches(item, prefix) {
    var p = prefix.toLowerCase();
    return !p || item.key.toLowerCase().indexOf(p) === 0 || (item.label || "").toLowerCase().indexOf(p) !== -1 ||
      item.key.toLowerCase().indexOf("_" + p) !== -1;
  }

  /* The candidates for the word before the caret: `path` is what precedes the last dot. */
  function candidates(vocab, word) {
    var parts = word.split(".");
    var prefix = parts.pop();
    var found = [];
    if (parts.length === 0) {
      vocab.fields.forEach(function (f) { if (matches(f, prefix)) found.push({kind: "field", item: f}); });
      vocab.parameters.forEach(function (p) {
        var item = {key: p.key, label: p.label, type_label: p.type_label};
        if (matches(item, prefix) || matches({key: p.key.slice(7), label: p.label}, prefix)) {
          found.push({kind: "param", item: item});
        }
      });
      vocab.functions.forEach(function (f) {
        if (prefix && f.name.indexOf(prefix.toLowerCase()) === 0) found.push({kind: "function", item: f});
      });
      return found.slice(0, 14);
    }
    if (parts.length === 1 && parts[0] === "params") {
      vocab.parameters.forEach(function (p) {
        var item = {key: p.key.slice(7), label: p.label, type_label: p.type_label};
        if (matches(item, prefix)) found.push({kind: "param", item: item});
      });
      return found.slice(0, 14);
    }
    var level = vocab.fields;
    for (var i = 0; i < parts.length && level; i++) {
      var hop = null;
      level.forEach(function (f) { if (f.key === parts[i]) hop = f; });
      level = hop && hop.fields;
    }
    (level || []).forEach(function (f) { if (matches(f, prefix)) found.push({kind: "field", item: f}); });
    return found.slice(0, 14);
  }

  function enhance(input) {
    var box = element("div", "formula-box");
    var list = element("ul", "formula-suggest");
    var status = element("div", "formula-status");
    var listId = (input.id || "formula") + "-suggest";
    list.id = listId;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.setAttribute("aria-live", "polite");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");
    input.parentNode.insertBefore(box, input.nextSibling);
    box.appendChild(list);
    box.appendChild(status);
    var shown = [];
    var active = -1;
    var timer = null;
    var sequence = 0;
    var words = {};

    function close() {
      list.hidden = true;
      list.textContent = "";
      shown = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function wordBeforeCaret() {
      var before = input.value.slice(0, input.selectionStart || 0);
      var found = WORD.exec(before);
      if (!found) return null;
      var start = before.length - found[0].length;
      if (start > 0 && /['"]/.test(before.charAt(start - 1))) return null;
      var quotes = (before.slice(0, start).match(/'/g) || []).length + (before.slice(0, start).match(/"/g) || []).length;
      return quotes % 2 ? null : found[0];
    }

    function mark(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
        if (i === index) {
          input.setAttribute("aria-activedescendant", li.id);
          li.scrollIntoView({block: "nearest"});
        }
      });
    }

    function suggest() {
      var word = wordBeforeCaret();
      if (word === null) { close(); return; }
      vocabulary(input).then(function (vocab) {
        words = vocab.words || {};
        shown = candidates(vocab, word);
        list.textContent = "";
        if (!shown.length) { close(); return; }
        shown.forEach(function (c, i) {
          var li = element("li", "formula-option formula-" + c.kind);
          li.id = listId + "-" + i;
          li.setAttribute("role", "option");
          li.setAttribute("data-key", c.kind === "function" ? c.item.name : c.item.key);
          if (c.kind === "function") {
            li.appendChild(element("span", "formula-label", c.item.signature));
            li.appendChild(element("span", "formula-doc", c.item.doc));
          } else {
            li.appendChild(element("span", "formula-label", c.item.label));
            li.appendChild(element("code", "formula-key", c.item.key));
            li.appendChild(element("span", "formula-type", c.item.type_label || ""));
          }
          li.addEventListener("mousedown", function (event) { event.preventDefault(); insert(i); });
          list.appendChild(li);
        });
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        mark(0);
      });
    }

    function insert(index) {
      var chosen = shown[index];
      if (!chosen) return;
      var caret = input.selectionStart || 0;
      var before = input.value.slice(0, caret);
      var word = WORD.exec(before)[0];
      var dot = word.lastIndexOf(".");
      var start = caret - word.length + dot + 1;
      var text = chosen.kind === "function" ? chosen.item.name + "(" : chosen.item.key;
      if (chosen.kind === "param" && dot === -1) text = chosen.item.key;
      input.value = input.value.slice(0, start) + text + input.value.slice(caret);
      var at = start + text.length;
      input.setSelectionRange(at, at);
      close();
      input.focus();
      later();
    }

    function showResult(result) {
      status.textContent = "";
      input.setAttribute("aria-invalid", result.problems && result.problems.length ? "true" : "false");
      input.setAttribute("data-formula-state", result.ok ? "ok" : (result.problems.length ? "problem" : "empty"));
      (result.problems || []).forEach(function (p) {
        var line = element("p", "formula-problem");
        line.appendChild(element("span", "formula-where", (words.column || "").replace("{column}", p.column)));
        line.appendChild(document.createTextNode(p.message));
        status.appendChild(line);
        var lines = input.value.split("\n");
        var text = lines[(p.line || 1) - 1] || "";
        var at = element("code", "formula-at");
        at.appendChild(document.createTextNode(text.slice(0, p.column - 1)));
        at.appendChild(element("mark", "", text.charAt(p.column - 1) || " "));
        at.appendChild(document.createTextNode(text.slice(p.column)));
        status.appendChild(at);
      });
      if (result.ok) {
        status.appendChild(element("p", "formula-ok", (words.ok || "").replace("{type}", result.type_label)));
      }
      if (result.preview) {
        var preview = element("p", "formula-preview" + (result.preview.failed ? " formula-failed" : ""));
        preview.appendChild(element("strong", "formula-value",
          result.preview.failed ? result.preview.display : (words.preview || "").replace("{value}", result.preview.display)));
        preview.appendChild(element("span", "formula-sample", result.preview.record_title));
        status.appendChild(preview);
      }
    }

    function check() {
      var mine = ++sequence;
      var body = {formula: input.value, expect: input.getAttribute("data-expect") || null,
                  row_table: input.getAttribute("data-row-table") || null};
      input.setAttribute("data-formula-state", "checking");
      vocabulary(input).then(function (vocab) {
        words = vocab.words || {};
        return fetch(base(input), {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": token, "Accept": "application/json"},
          body: JSON.stringify(body)});
      }).then(function (response) { return response.json(); })
        .then(function (result) { if (mine === sequence) showResult(result); })
        .catch(function () { if (mine === sequence) input.setAttribute("data-formula-state", "failed"); });
    }

    function later() {
      sequence++;   /* an answer to what was typed before is stale now */
      input.setAttribute("data-formula-state", "checking");
      clearTimeout(timer);
      timer = setTimeout(check, 350);
    }

    input.addEventListener("input", function () { suggest(); later(); });
    input.addEventListener("change", later);
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); mark((active + 1) % shown.length); }
      else if (event.key === "ArrowUp") { event.preventDefault(); mark((active - 1 + shown.length) % shown.length); }
      else if (event.key === "Enter" || event.key === "Tab") { event.preventDefault(); insert(active); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    input.addEventListener("focus", function () { if (!input.hasAttribute("data-formula-state")) check(); });
  }

  document.querySelectorAll("input[data-formula], textarea[data-formula]").forEach(enhance);
  window.formworkFormulaEditor = {enhance: enhance};
})();
