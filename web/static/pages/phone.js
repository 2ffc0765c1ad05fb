/* Phone layouts (≤ 640 px), driven by what the page declares, never by module: the filter sheet, cards that
   load the next page as the list's end comes into view, and record forms in steps with their computed and
   read-only values folded into one summary line. Without JS the list pages and keeps its filter panel. */
(function () {
  "use strict";
  var phone = window.matchMedia("(max-width: 640px)");

  /* -- the filter sheet ----------------------------------------------------------------------------------- */
  var sheet = document.getElementById("filter-sheet");
  function showSheet(open) {
    if (!sheet) return;
    sheet.classList.toggle("is-open", open);
    document.body.classList.toggle("has-sheet", open && phone.matches);
    if (open) {
      var first = sheet.querySelector("select, input, textarea");
      if (first && phone.matches) first.focus();
    }
  }
  document.querySelectorAll("[data-filter-toggle]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      showSheet(!sheet.classList.contains("is-open"));
    });
  });
  document.querySelectorAll("[data-filter-close]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      showSheet(false);
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && sheet && sheet.classList.contains("is-open")) showSheet(false);
  });
  if (sheet && sheet.classList.contains("is-open")) document.body.classList.toggle("has-sheet", phone.matches);

  /* -- cards: the next page joins the list as its end comes into view ------------------------------------- */
  var cards = document.querySelector("[data-cards]");
  if (cards && "IntersectionObserver" in window) {
    var loading = false;
    var observer = new IntersectionObserver(function (entries) {
      if (!phone.matches || loading) return;
      entries.forEach(function (entry) {
        if (entry.isIntersecting) loadNext(entry.target);
      });
    }, {rootMargin: "200px"});

    var watch = function () {
      var pager = document.querySelector(".has-record-cards .pager");
      if (pager && pager.querySelector('a[rel="next"]')) observer.observe(pager);
    };

    var loadNext = function (pager) {
      var link = pager.querySelector('a[rel="next"]');
      if (!link) return;
      loading = true;
      pager.setAttribute("aria-busy", "true");
      fetch(link.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          page.querySelectorAll("[data-cards] > .record-card:not(.record-card-empty)").forEach(function (card) {
            cards.appendChild(document.importNode(card, true));
          });
          var next = page.querySelector(".has-record-cards .pager");
          observer.unobserve(pager);
          if (next) {
            pager.replaceWith(document.importNode(next, true));
          } else {
            pager.remove();
          }
          loading = false;
          watch();
        })
        .catch(function () {
          loading = false;
          pager.removeAttribute("aria-busy");
        });
    };
    watch();
  }

  /* -- record forms: computed values on one line, sections as steps ----------------------------------------- */
  var form = document.querySelector("form.record-form[data-steps]");
  if (!form || !phone.matches) return;
  var words = JSON.parse(form.getAttribute("data-phone-words") || "{}");
  var grid = form.querySelector(".form-grid");
  if (!grid) return;

  function labelOf(field) {
    var label = field.querySelector("label");
    if (!label) return field.getAttribute("data-field");
    var text = "";
    label.childNodes.forEach(function (node) { if (node.nodeType === 3) text += node.textContent; });
    return text.trim() || field.getAttribute("data-field");
  }
  function valueOf(field) {
    var out = field.querySelector("output");
    var text = out ? out.textContent.trim() : "";
    return text === words.empty ? "" : text;
  }

  // computed and read-only single values (not tables, files or check boxes) fold into the summary
  var folded = Array.prototype.filter.call(grid.querySelectorAll(":scope > .field"), function (field) {
    var isComputed = field.classList.contains("field-computed");
    var isLocked = field.classList.contains("is-locked") && field.querySelector(":scope > output");
    return (isComputed || isLocked) && !field.classList.contains("has-error");
  });
  if (folded.length) {
    var summary = document.createElement("button");
    summary.type = "button";
    summary.className = "computed-summary";
    summary.setAttribute("aria-expanded", "false");
    var line = document.createElement("span");
    line.className = "summary-line";
    var list = document.createElement("dl");
    list.className = "summary-list";
    summary.appendChild(line);
    summary.appendChild(list);
    var render = function () {
      var parts = [];
      list.textContent = "";
      folded.forEach(function (field) {
        var value = valueOf(field);
        if (!value || field.hidden) return;
        var label = labelOf(field);
        parts.push(label + " " + value);
        var dt = document.createElement("dt");
        dt.textContent = label;
        var dd = document.createElement("dd");
        dd.textContent = value;
        list.appendChild(dt);
        list.appendChild(dd);
      });
      line.textContent = words.computed + "：" + parts.join(" · ");
      summary.hidden = parts.length === 0;
    };
    folded.forEach(function (field) {
      field.classList.add("is-folded");
      new MutationObserver(render).observe(field, {subtree: true, childList: true, characterData: true,
                                                   attributes: true, attributeFilter: ["hidden"]});
    });
    summary.addEventListener("click", function () {
      summary.setAttribute("aria-expanded", summary.getAttribute("aria-expanded") === "true" ? "false" : "true");
    });
    render();
    grid.parentNode.insertBefore(summary, grid);
  }

  var sections = JSON.parse(form.getAttribute("data-steps") || "[]");
  if (sections.length < 2) return;
  var byName = {};
  grid.querySelectorAll(":scope > .field[data-field]").forEach(function (field) {
    byName[field.getAttribute("data-field")] = field;
  });
  var steps = [];
  sections.forEach(function (section) {
    var step = document.createElement("fieldset");
    step.className = "form-step";
    if (section.title) {
      var legend = document.createElement("legend");
      legend.textContent = section.title;
      step.appendChild(legend);
    }
    var inner = document.createElement("div");
    inner.className = "form-grid";
    step.appendChild(inner);
    section.fields.forEach(function (name) {
      if (byName[name]) { inner.appendChild(byName[name]); delete byName[name]; }
    });
    steps.push(step);
  });
  var rest = Object.keys(byName).map(function (name) { return byName[name]; });
  if (rest.length) {
    var last = steps[steps.length - 1].querySelector(".form-grid");
    rest.forEach(function (field) { last.appendChild(field); });
  }
  // a step of nothing but folded values has nothing to fill in
  steps = steps.filter(function (step) {
    return step.querySelector(".field:not(.is-folded)") !== null;
  });
  if (steps.length < 2) {
    steps.forEach(function (step) { grid.appendChild(step); });
    return;
  }
  steps.forEach(function (step) { grid.appendChild(step); });
  grid.classList.add("form-steps");

  var bar = document.createElement("div");
  bar.className = "step-bar";
  var counter = document.createElement("span");
  counter.className = "step-count small muted";
  counter.setAttribute("aria-live", "polite");
  var dots = document.createElement("span");
  dots.className = "step-dots";
  dots.setAttribute("aria-hidden", "true");
  steps.forEach(function () { dots.appendChild(document.createElement("span")); });
  bar.appendChild(counter);
  bar.appendChild(dots);
  grid.parentNode.insertBefore(bar, form.querySelector(".computed-summary") || grid);

  var actions = form.querySelector(".form-actions");
  var nav = document.createElement("div");
  nav.className = "step-nav";
  var back = document.createElement("button");
  back.type = "button";
  back.className = "button button-secondary";
  back.textContent = words.previous;
  var forward = document.createElement("button");
  forward.type = "button";
  forward.className = "button button-primary";
  forward.textContent = words.next;
  forward.setAttribute("data-step-next", "");
  back.setAttribute("data-step-back", "");
  nav.appendChild(back);
  nav.appendChild(forward);
  actions.insertBefore(nav, actions.firstChild);
  actions.querySelectorAll('button[type="submit"][value="save"]').forEach(function (button) {
    button.classList.add("is-last-step-only");
  });

  var current = 0;
  function show(index) {
    current = Math.max(0, Math.min(index, steps.length - 1));
    steps.forEach(function (step, i) { step.classList.toggle("is-current", i === current); });
    dots.querySelectorAll("span").forEach(function (dot, i) { dot.classList.toggle("is-done", i <= current); });
    var legend = steps[current].querySelector("legend");
    counter.textContent = words.step.replace("{n}", current + 1).replace("{count}", steps.length) +
      (legend ? " · " + legend.textContent : "");
    back.hidden = current === 0;
    forward.hidden = current === steps.length - 1;
    form.classList.toggle("on-last-step", current === steps.length - 1);
  }
  function stepOf(element) {
    for (var i = 0; i < steps.length; i++) if (steps[i].contains(element)) return i;
    return -1;
  }
  back.addEventListener("click", function () { show(current - 1); form.scrollIntoView({block: "start"}); });
  forward.addEventListener("click", function () { show(current + 1); form.scrollIntoView({block: "start"}); });
  form.classList.add("is-stepped");

  // the error summary's links, and a page come back with errors, open the step holding the field
  document.querySelectorAll("#error-summary a[href^='#']").forEach(function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var index = target ? stepOf(target) : -1;
      if (index >= 0) show(index);
    });
  });
  // Enter in a field of an early step must not save half a form: it goes on to the next step
  form.addEventListener("submit", function (event) {
    if (!form.classList.contains("is-stepped") || !phone.matches) return;
    var submitter = event.submitter;
    var isSave = submitter && submitter.value === "save";
    if (isSave && current < steps.length - 1 && !submitter.classList.contains("is-last-step-only")) {
      event.preventDefault();
      show(current + 1);
    }
  });
  var failed = form.querySelector(".has-error");
  show(failed ? Math.max(0, stepOf(failed)) : 0);
})();
