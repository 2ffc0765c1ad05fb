/* Assist on the pages: a sentence fills the new-record form, a phrase writes the list's formula filter.
   Nothing is saved here: the person checks the filled fields (marked, with their reason) and saves. */
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function post(url, text) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf, "Accept": "application/json"},
                       body: JSON.stringify({text: text})})
      .then(function (response) { return response.json(); });
  }

  function inputOf(name) {
    var box = document.querySelector('.record-form [data-field="' + name + '"]');
    if (!box) { return null; }
    return box.querySelector('select, textarea, input:not([type="search"]):not([type="file"]):not([type="hidden"])');
  }

  function note(input, text) {
    var box = input.closest("[data-field]");
    var old = box.querySelector(".assist-note");
    if (old) { old.remove(); }
    var p = document.createElement("p");
    p.className = "help assist-note";
    p.textContent = text;
    box.appendChild(p);
  }

  function fill(fields, status) {
    var count = 0;
    Object.keys(fields).forEach(function (name) {
      var item = fields[name];
      var input = inputOf(name);
      if (!input) { return; }
      var value = String(item.value);
      if (input.tagName === "SELECT" && !Array.prototype.some.call(input.options, function (o) { return o.value === value; })) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = item.title || value;
        input.appendChild(option);
      }
      input.value = value;
      input.classList.add("assist-filled");
      input.style.outline = "2px solid " + (item.confidence >= 0.8 ? "#2e7d32" : "#ed6c02");
      input.dispatchEvent(new Event("input", {bubbles: true}));
      input.dispatchEvent(new Event("change", {bubbles: true}));
      note(input, item.why + " · " + status.getAttribute("data-confidence") + " " + Math.round(item.confidence * 100) + "%");
      count += 1;
    });
    return count;
  }

  document.querySelectorAll("[data-assist-parse]").forEach(function (box) {
    var text = box.querySelector("#assist-text");
    var status = box.querySelector("[data-assist-status]");
    function run() {
      if (!text.value.trim()) { return; }
      post(box.getAttribute("data-assist-parse"), text.value).then(function (answer) {
        if (answer.error) { status.textContent = answer.error.message; return; }
        var count = fill(answer.fields || {}, status);
        var said = count ? status.getAttribute("data-filled").replace("{count}", count) : status.getAttribute("data-nothing");
        if (answer.unused && answer.unused.length) {
          said += "；" + status.getAttribute("data-unused") + "：" + answer.unused.join("、");
        }
        status.textContent = said;
      });
    }
    box.querySelector("[data-assist-fill]").addEventListener("click", run);
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); run(); }   // never submits the record's form
    });
  });

  document.querySelectorAll("[data-assist-filter]").forEach(function (box) {
    var phrase = box.querySelector("#assist-phrase");
    var status = box.querySelector("[data-assist-filter-status]");
    function run() {
      if (!phrase.value.trim()) { return; }
      post(box.getAttribute("data-assist-filter"), phrase.value).then(function (answer) {
        status.textContent = "";
        if (answer.error) { status.textContent = answer.error.message; return; }
        var formula = document.getElementById("q");
        formula.value = answer.formula;
        var details = formula.closest("details");
        if (details) { details.open = true; }
        var head = document.createElement("p");
        head.textContent = status.getAttribute("data-made");
        status.appendChild(head);
        var list = document.createElement("ul");
        (answer.why || []).forEach(function (line) {
          var li = document.createElement("li");
          li.textContent = line;
          list.appendChild(li);
        });
        status.appendChild(list);
      });
    }
    box.querySelector("[data-assist-make]").addEventListener("click", run);
    phrase.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); run(); }
    });
  });
}());
