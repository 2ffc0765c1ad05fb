/* The visual form designer (/designer/<module>/<entity>): the form's sections and fields as cards, a field panel,
   autosave into the tenant's draft overlay. The script edits the overlay as data (entities.<e>.fields,
   views.form.sections, permissions.<role>.hidden_fields) and posts it whole; the server keeps it minimal and
   answers with the entity as it now is, the engine's problems and the end users' form as a preview. */
(function () {
  "use strict";
  var configNode = document.getElementById("fd-config");
  if (!configNode) return;
  var cfg = JSON.parse(configNode.textContent);
  var W = cfg.words, lang = cfg.language, model = cfg.model, overlay = model.overlay;
  var E = model.entity.name;
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var sectionsNode = document.getElementById("fd-sections");
  var panel = document.getElementById("fd-panel-body");
  var statusNode = document.getElementById("fd-status");
  var selected = null, dragKey = null, timer = null, edits = 0, sequence = 0;
  var autoKeys = {};            // fields added here whose key still follows the English label
  var autoOptions = {};         // "field:option" keys that still follow the option's English label

  function word(key, values) {
    var text = W[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    return text;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "class") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  function obj(parent, key) {
    if (!parent[key] || typeof parent[key] !== "object" || Array.isArray(parent[key])) parent[key] = {};
    return parent[key];
  }
  function entityPatch() { return obj(obj(overlay, "entities"), E); }
  function fieldPatch(key) { return obj(obj(entityPatch(), "fields"), key); }
  function field(key) {
    for (var i = 0; i < model.entity.fields.length; i++) if (model.entity.fields[i].key === key) return model.entity.fields[i];
    return null;
  }
  function text(labelValue) { return labelValue ? (labelValue[lang] || labelValue.zh || labelValue.en || "") : ""; }
  function slug(value) {
    return (value || "").toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").replace(/^[0-9_]+/, "")
      .slice(0, 40);
  }
  function freeKey(wanted, taken, prefix) {
    var base = wanted || prefix, key = base, n = 1;
    if (!wanted) { key = prefix + "_" + n; }
    while (taken(key)) { n += 1; key = base + "_" + n; }
    return key;
  }
  function fieldTaken(key) { return field(key) !== null; }

  // -- layout (views.form.sections) ---------------------------------------------------------------
  function sectionOf(key) {
    var sections = model.entity.sections;
    for (var i = 0; i < sections.length; i++) if (sections[i].fields.indexOf(key) >= 0) return i;
    return -1;
  }
  function writeSections() {
    var sections = model.entity.sections, real = sections.filter(function (s) { return !s.loose; });
    if (!real.length) real = sections;   // no declared sections: the one section becomes declared
    var views = obj(entityPatch(), "views"), form = obj(views, "form");
    form.sections = real.map(function (s) {
      var out = {};
      if (s.title) out.title = {zh: s.title.zh, en: s.title.en};
      out.fields = s.fields.slice();
      return out;
    });
    sections.forEach(function (s) { if (s === real[0] && s.loose) s.loose = false; });
  }
  function moveField(key, toSection, toIndex) {
    var from = sectionOf(key), sections = model.entity.sections;
    if (from < 0 || !sections[toSection]) return;
    var list = sections[from].fields, at = list.indexOf(key);
    list.splice(at, 1);
    if (from === toSection && toIndex > at) toIndex -= 1;
    var target = sections[toSection].fields;
    target.splice(Math.max(0, Math.min(toIndex, target.length)), 0, key);
    writeSections();
    changed(true);
  }

  // -- cards ----------------------------------------------------------------------------------------
  function problemsOf(key) {
    var pattern = new RegExp("'" + key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "'");
    return (model.problems || []).filter(function (p) { return pattern.test(p.message); });
  }
  function renderSections() {
    sectionsNode.textContent = "";
    var sections = model.entity.sections;
    sections.forEach(function (section, index) {
      var title = section.loose && sections.length > 1 ? W.loose : (text(section.title) || W.untitled);
      var head = el("div", {"class": "fd-section-head"}, [el("h3", {text: title})]);
      if (!section.loose || sections.length === 1) head.appendChild(sectionEditor(section, index));
      var body = el("div", {"class": "fd-cards", "data-section": String(index)});
      section.fields.forEach(function (key, position) {
        var f = field(key);
        if (f) body.appendChild(card(f, index, position, section.fields.length));
      });
      body.addEventListener("dragover", function (event) { if (dragKey) { event.preventDefault(); body.classList.add("fd-drop"); } });
      body.addEventListener("dragleave", function () { body.classList.remove("fd-drop"); });
      body.addEventListener("drop", function (event) {
        event.preventDefault();
        body.classList.remove("fd-drop");
        if (!dragKey) return;
        var over = event.target.closest ? event.target.closest(".fd-card") : null, at = section.fields.length;
        if (over && over.getAttribute("data-field") !== dragKey) {
          var box = over.getBoundingClientRect();
          at = section.fields.indexOf(over.getAttribute("data-field")) + (event.clientY > box.top + box.height / 2 ? 1 : 0);
        }
        var key = dragKey;
        dragKey = null;
        moveField(key, index, at);
      });
      var add = el("button", {type: "button", "class": "button button-secondary button-small fd-add-field",
                              "data-section": String(index), text: "+ " + W.add_field});
      add.addEventListener("click", function () { addField(index); });
      sectionsNode.appendChild(el("section", {"class": "fd-section" + (section.loose ? " fd-loose" : ""),
                                              "data-section": String(index)}, [head, body, add]));
    });
  }
  function sectionEditor(section, index) {
    var details = el("details", {"class": "fd-section-edit"}, [el("summary", {text: "✎ " + W.edit_section})]);
    var zh = el("input", {type: "text", value: section.title ? section.title.zh : "", "data-prop": "section-zh",
                          "aria-label": W.section_title_zh, placeholder: W.section_title_zh});
    var en = el("input", {type: "text", value: section.title ? section.title.en : "", "data-prop": "section-en",
                          "aria-label": W.section_title_en, placeholder: W.section_title_en});
    function rename() {
      section.title = zh.value || en.value ? {zh: zh.value || en.value, en: en.value || zh.value} : null;
      section.loose = false;
      writeSections();
      changed(false);
      var h = details.parentNode.querySelector("h3");
      if (h) h.textContent = text(section.title) || W.untitled;
    }
    zh.addEventListener("input", rename);
    en.addEventListener("input", rename);
    var remove = el("button", {type: "button", "class": "button button-secondary button-small fd-remove-section",
                               text: W.remove_section});
    remove.addEventListener("click", function () {
      if (!window.confirm(W.remove_section_confirm)) return;
      var sections = model.entity.sections, gone = sections.splice(index, 1)[0];
      var loose = sections.filter(function (s) { return s.loose; })[0];
      if (!loose) { loose = {title: null, fields: [], loose: true}; sections.push(loose); }
      loose.fields = loose.fields.concat(gone.fields);
      writeSections();
      changed(true);
    });
    details.appendChild(el("div", {"class": "fd-section-fields"}, [zh, en, remove]));
    return details;
  }
  function card(f, sectionIndex, position, count) {
    var badges = el("span", {"class": "fd-badges"});
    if (f.required) badges.appendChild(el("span", {"class": "fd-badge fd-required", text: W.required}));
    if (f.formula || f.computed) badges.appendChild(el("span", {"class": "fd-badge", text: W.computed}));
    if (f.hidden) badges.appendChild(el("span", {"class": "fd-badge fd-hidden", text: W.hidden}));
    if (!f.from_catalog) badges.appendChild(el("span", {"class": "fd-badge fd-new", text: W["new"]}));
    var node = el("div", {"class": "fd-card" + (f.key === selected ? " is-selected" : ""), draggable: "true",
                          tabindex: "0", role: "button", "data-field": f.key, "aria-pressed": String(f.key === selected)},
                  [el("span", {"class": "fd-grip", "aria-hidden": "true", text: "⋮⋮"}),
                   el("span", {"class": "fd-card-main"}, [el("strong", {"class": "fd-card-label", text: text(f.label)}),
                                                          el("span", {"class": "fd-type muted small", text: f.type_label}),
                                                          badges])]);
    var tools = el("span", {"class": "fd-card-tools"});
    var up = el("button", {type: "button", "class": "fd-icon", "data-move": "up", title: W.up, "aria-label": W.up,
                           text: "↑", disabled: position === 0});
    var down = el("button", {type: "button", "class": "fd-icon", "data-move": "down", title: W.down,
                             "aria-label": W.down, text: "↓", disabled: position === count - 1});
    up.addEventListener("click", function (event) { event.stopPropagation(); moveField(f.key, sectionIndex, position - 1); });
    down.addEventListener("click", function (event) { event.stopPropagation(); moveField(f.key, sectionIndex, position + 2); });
    var move = el("select", {"class": "fd-move", "aria-label": W.move_to, "data-move": "section"},
                  [el("option", {value: "", text: W.move_to})]);
    model.entity.sections.forEach(function (s, i) {
      if (i !== sectionIndex) {
        move.appendChild(el("option", {value: String(i),
                                       text: s.loose && model.entity.sections.length > 1 ? W.loose : (text(s.title) || W.untitled)}));
      }
    });
    move.addEventListener("click", function (event) { event.stopPropagation(); });
    move.addEventListener("change", function () {
      if (move.value !== "") moveField(f.key, Number(move.value), model.entity.sections[Number(move.value)].fields.length);
    });
    tools.appendChild(up);
    tools.appendChild(down);
    tools.appendChild(move);
    node.appendChild(tools);
    problemsOf(f.key).forEach(function (p) { node.appendChild(el("span", {"class": "fd-card-problem", text: p.message})); });
    node.addEventListener("click", function () { select(f.key); });
    node.addEventListener("keydown", function (event) {
      if ((event.key === "Enter" || event.key === " ") && event.target === node) { event.preventDefault(); select(f.key); }
    });
    node.addEventListener("dragstart", function (event) {
      dragKey = f.key;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", f.key);
      node.classList.add("is-dragging");
    });
    node.addEventListener("dragend", function () { node.classList.remove("is-dragging"); dragKey = null; });
    return node;
  }

  // -- adding and removing -------------------------------------------------------------------------
  function addField(sectionIndex) {
    var key = freeKey("", fieldTaken, "field");
    var label = {zh: W.new_field, en: ""};
    var patch = fieldPatch(key);
    patch.type = "text";
    patch.label = {zh: label.zh};
    autoKeys[key] = true;
    model.entity.fields.push({key: key, type: "text", type_label: typeLabel("text"), label: {zh: label.zh, en: label.zh},
                              required: false, "default": null, options: [], help: null, unit: null, min: null,
                              max: null, visible_if: null, readonly_if: null, formula: null, hidden: false,
                              target: null, computed: false, from_catalog: false, hidden_for: []});
    model.entity.sections[sectionIndex].fields.push(key);
    writeSections();
    selected = key;
    changed(true);
    renderPanel();
    var first = panel.querySelector("[data-prop='label-zh']");
    if (first) { first.focus(); first.select(); }
  }
  function addSection() {
    var sections = model.entity.sections, at = sections.length;
    if (at && sections[at - 1].loose && at > 1) at -= 1;
    if (sections.length === 1 && sections[0].loose) sections[0].loose = false;
    sections.splice(at, 0, {title: {zh: W.new_section, en: "New section"}, fields: [], loose: false});
    writeSections();
    changed(true);
    var added = sectionsNode.querySelector(".fd-section[data-section='" + at + "'] details");
    if (added) { added.open = true; added.querySelector("input").select(); }
  }
  function removeField(key) {
    var fields = entityPatch().fields || {};
    delete fields[key];
    model.entity.fields = model.entity.fields.filter(function (f) { return f.key !== key; });
    model.entity.sections.forEach(function (s) { s.fields = s.fields.filter(function (n) { return n !== key; }); });
    writeSections();
    dropFromRoles(key, key, null);
    selected = null;
    changed(true);
    renderPanel();
  }
  function renameField(oldKey, newKey) {
    var fields = entityPatch().fields, renamed = {};
    Object.keys(fields).forEach(function (k) { renamed[k === oldKey ? newKey : k] = fields[k]; });
    entityPatch().fields = renamed;
    field(oldKey).key = newKey;
    model.entity.sections.forEach(function (s) { s.fields = s.fields.map(function (n) { return n === oldKey ? newKey : n; }); });
    writeSections();
    dropFromRoles(oldKey, oldKey, newKey);
    if (autoKeys[oldKey]) { delete autoKeys[oldKey]; autoKeys[newKey] = true; }
    selected = newKey;
  }
  function dropFromRoles(key, oldKey, newKey) {
    var hidden = model.entity.hidden_by_role;
    Object.keys(hidden).forEach(function (role) {
      if (hidden[role].indexOf(oldKey) < 0) return;
      var list = hidden[role].filter(function (n) { return n !== oldKey; });
      if (newKey) list.push(newKey);
      setHidden(role, list);
    });
  }
  function setHidden(role, list) {
    model.entity.hidden_by_role[role] = list;
    obj(obj(entityPatch(), "permissions"), role).hidden_fields = list.slice();   // lists replace: the whole list
  }
  function typeLabel(kind) {
    for (var i = 0; i < model.types.length; i++) if (model.types[i].key === kind) return model.types[i].label;
    return kind;
  }

  // -- the field panel -----------------------------------------------------------------------------
  function select(key) {
    selected = key;
    renderSections();
    renderPanel();
    if (window.matchMedia && window.matchMedia("(max-width: 900px)").matches) {
      document.getElementById("fd-panel").scrollIntoView({behavior: "smooth", block: "start"});
    }
  }
  function row(labelText, input, hint) {
    var id = "fd-" + input.getAttribute("data-prop");
    input.id = id;
    var children = [el("label", {"for": id, text: labelText}), input];
    if (hint) children.push(el("p", {"class": "hint", text: hint}));
    return el("div", {"class": "field"}, children);
  }
  function textInput(prop, value, extra) {
    var attrs = {type: "text", "data-prop": prop, value: value === null || value === undefined ? "" : String(value)};
    Object.keys(extra || {}).forEach(function (k) { attrs[k] = extra[k]; });
    return el("input", attrs);
  }
  function formulaInput(prop, value, boolean) {
    return el("textarea", {rows: "2", "data-prop": prop, "data-formula": "", "data-module": cfg.module,
                           "data-entity": E, "data-expect": boolean ? "boolean" : null, spellcheck: "false",
                           text: value || ""});
  }
  function renderPanel() {
    panel.textContent = "";
    var f = selected ? field(selected) : null;
    if (!f) { panel.appendChild(el("p", {"class": "muted", text: W.pick_field})); return; }
    var fresh = !f.from_catalog, form = el("div", {"class": "fd-form", "data-field": f.key});
    form.appendChild(el("div", {"class": "fd-panel-problems", id: "fd-panel-problems"}));
    form.appendChild(row(W.label_zh, textInput("label-zh", f.label.zh, {lang: "zh-CN"})));
    form.appendChild(row(W.label_en, textInput("label-en", fresh && f.label.en === f.label.zh && !f.label.en ? "" : f.label.en, {lang: "en"})));
    var type = el("select", {"data-prop": "type", disabled: !fresh});
    var kinds = fresh ? model.types : [{key: f.type, label: f.type_label}];
    kinds.forEach(function (k) { type.appendChild(el("option", {value: k.key, text: k.label, selected: k.key === f.type})); });
    form.appendChild(row(W.type, type, fresh ? null : W.type_fixed));
    if (f.type === "ref") {
      var target = el("select", {"data-prop": "target", disabled: !fresh}, [el("option", {value: "", text: W.none})]);
      model.targets.forEach(function (t) { target.appendChild(el("option", {value: t.key, text: t.label, selected: t.key === f.target})); });
      form.appendChild(row(W.target, target));
    }
    form.appendChild(el("label", {"class": "check check-single"}, [
      el("input", {type: "checkbox", id: "fd-required", "data-prop": "required", checked: f.required}), el("span", {text: " " + W.required})]));
    if (f.type === "enum" || f.type === "multi_enum") form.appendChild(optionsEditor(f));
    form.appendChild(row(W["default"], defaultInput(f)));
    form.appendChild(row(W.help_zh, textInput("help-zh", f.help ? f.help.zh : "", {lang: "zh-CN"})));
    form.appendChild(row(W.help_en, textInput("help-en", f.help ? f.help.en : "", {lang: "en"})));
    if (["integer", "decimal", "money", "percent"].indexOf(f.type) >= 0) {
      form.appendChild(el("div", {"class": "fd-pair"}, [
        row(W.unit_zh, textInput("unit-zh", f.unit ? f.unit.zh : "")), row(W.unit_en, textInput("unit-en", f.unit ? f.unit.en : "")),
        row(W.min, textInput("min", f.min, {inputmode: "decimal"})), row(W.max, textInput("max", f.max, {inputmode: "decimal"}))]));
    }
    form.appendChild(row(W.formula, formulaInput("formula", f.formula, false)));
    form.appendChild(row(W.visible_if, formulaInput("visible_if", f.visible_if, true)));
    form.appendChild(row(W.readonly_if, formulaInput("readonly_if", f.readonly_if, true)));
    var roles = el("fieldset", {"class": "fd-roles"}, [el("legend", {text: W.hidden_for})]);
    model.roles.forEach(function (role) {
      roles.appendChild(el("label", {"class": "check"}, [
        el("input", {type: "checkbox", "data-role": role.key, checked: (model.entity.hidden_by_role[role.key] || []).indexOf(f.key) >= 0}),
        el("span", {text: " " + role.label})]));
    });
    form.appendChild(roles);
    form.appendChild(el("label", {"class": "check check-single"}, [
      el("input", {type: "checkbox", id: "fd-hidden", "data-prop": "hidden", checked: f.hidden}), el("span", {text: " " + W.hide_all})]));
    var advanced = el("details", {"class": "fd-advanced"}, [el("summary", {text: W.advanced})]);
    advanced.appendChild(row(W.key, textInput("key", f.key, {readonly: !fresh, pattern: "[a-z][a-z0-9_]*"}), fresh ? null : W.key_fixed));
    if (fresh) {
      var remove = el("button", {type: "button", "class": "button button-secondary button-small", id: "fd-remove-field", text: W.remove_field});
      remove.addEventListener("click", function () { if (window.confirm(W.remove_field_confirm)) removeField(f.key); });
      advanced.appendChild(remove);
    }
    form.appendChild(advanced);
    panel.appendChild(form);
    form.addEventListener("input", function (event) { onPanel(f, event.target, false); });
    form.addEventListener("change", function (event) { onPanel(f, event.target, true); });
    showPanelProblems();
    document.dispatchEvent(new CustomEvent("formwork:formula-inputs", {detail: {root: panel}}));
    if (window.formworkFormulaEditor && window.formworkFormulaEditor.enhance) {   // formula_editor.js, when loaded
      panel.querySelectorAll("[data-formula]").forEach(function (input) { window.formworkFormulaEditor.enhance(input); });
    }
  }
  function defaultInput(f) {
    if (f.type === "enum" || f.type === "boolean") {
      var choice = el("select", {"data-prop": "default"}, [el("option", {value: "", text: W.none})]);
      var choices = f.type === "boolean" ? [{key: "true", label: {zh: W.yes, en: W.yes}}, {key: "false", label: {zh: W.no, en: W.no}}] : f.options;
      choices.forEach(function (o) {
        choice.appendChild(el("option", {value: o.key, text: text(o.label), selected: f["default"] !== null && String(f["default"]) === o.key}));
      });
      return choice;
    }
    return textInput("default", f["default"]);
  }
  function labelPair(zh, en) {
    return zh || en ? {zh: zh, en: en} : null;
  }
  function number(value) {
    var v = value.trim();
    return v === "" || isNaN(Number(v)) ? null : Number(v);
  }
  function onPanel(f, input, committed) {
    var prop = input.getAttribute("data-prop"), role = input.getAttribute("data-role");
    var form = panel.querySelector(".fd-form"), patch = fieldPatch(f.key);
    function value(name) { var node = form.querySelector("[data-prop='" + name + "']"); return node ? node.value.trim() : ""; }
    if (role) {
      var list = (model.entity.hidden_by_role[role] || []).filter(function (n) { return n !== f.key; });
      if (input.checked) list.push(f.key);
      setHidden(role, list);
      f.hidden_for = Object.keys(model.entity.hidden_by_role).filter(function (r) { return model.entity.hidden_by_role[r].indexOf(f.key) >= 0; });
    } else if (prop === "label-zh" || prop === "label-en") {
      var zh = value("label-zh"), en = value("label-en");
      patch.label = {zh: zh, en: en};
      f.label = {zh: zh || en || f.key, en: en || zh || f.key};
      if (prop === "label-en" && autoKeys[f.key]) {
        var wanted = slug(en);
        var key = freeKey(wanted, function (k) { return k !== f.key && fieldTaken(k); }, "field");
        if (wanted && key !== f.key) { renameField(f.key, key); form.querySelector("[data-prop='key']").value = key; form.setAttribute("data-field", key); }
      }
    } else if (prop === "key" && committed) {
      var typed = slug(input.value);
      if (typed && typed !== f.key && !fieldTaken(typed)) { renameField(f.key, typed); delete autoKeys[typed]; }
      input.value = f.key;
    } else if (prop === "type" && committed) {
      patch.type = input.value;
      f.type = input.value;
      f.type_label = typeLabel(input.value);
      delete patch.options; delete patch.entity; delete patch["default"];
      f.options = []; f["default"] = null; f.target = null;
      if (input.value === "enum" || input.value === "multi_enum") addOption(f);
      changed(true);
      renderPanel();
      return;
    } else if (prop === "target") {
      patch.entity = input.value || null;
      f.target = input.value || null;
    } else if (prop === "required" || prop === "hidden") {
      patch[prop] = input.checked;
      f[prop] = input.checked;
    } else if (prop === "default") {
      var raw = input.value;
      var typedDefault = raw === "" ? null : f.type === "boolean" ? raw === "true"
        : ["integer", "decimal", "money", "percent"].indexOf(f.type) >= 0 ? number(raw)
        : f.type === "multi_enum" ? raw.split(",").map(function (s) { return s.trim(); }).filter(Boolean) : raw;
      patch["default"] = typedDefault;
      f["default"] = typedDefault;
    } else if (prop === "help-zh" || prop === "help-en") {
      patch.help = labelPair(value("help-zh"), value("help-en"));
      f.help = patch.help;
    } else if (prop === "unit-zh" || prop === "unit-en") {
      patch.unit = labelPair(value("unit-zh"), value("unit-en"));
      f.unit = patch.unit;
    } else if (prop === "min" || prop === "max") {
      patch[prop] = number(input.value);
      f[prop] = patch[prop];
    } else if (prop === "formula" || prop === "visible_if" || prop === "readonly_if") {
      patch[prop] = input.value.trim() || null;
      f[prop] = patch[prop];
    } else if (prop && prop.indexOf("option-") === 0) {
      return;   // the options editor handles its own inputs
    } else {
      return;
    }
    changed(committed || prop === "required" || prop === "hidden" || prop === "label-zh" || prop === "label-en" || !!role);
  }

  // -- enum options -----------------------------------------------------------------------------------
  function writeOptions(f) {
    var out = {};
    f.options.forEach(function (o) { out[o.key] = {zh: o.label.zh, en: o.label.en}; });
    fieldPatch(f.key).options = out;
    var shown = panel.querySelector("[data-prop='default']");
    if (shown && f.type === "enum") {   // the default's choices follow the options
      var fresh = defaultInput(f);
      fresh.id = shown.id;
      shown.parentNode.replaceChild(fresh, shown);
    }
  }
  function addOption(f) {
    var key = freeKey("", function (k) { return f.options.some(function (o) { return o.key === k; }); }, "opt");
    f.options.push({key: key, label: {zh: "", en: ""}, from_catalog: false});
    autoOptions[f.key + ":" + key] = true;
    writeOptions(f);
  }
  function optionsEditor(f) {
    var box = el("fieldset", {"class": "fd-options", id: "fd-options"}, [el("legend", {text: W.options})]);
    var list = el("ol", {"class": "fd-option-list"});
    function draw() {
      list.textContent = "";
      f.options.forEach(function (o, i) {
        var zh = el("input", {type: "text", value: o.label.zh, "data-prop": "option-zh", "aria-label": W.option_zh, placeholder: W.option_zh, lang: "zh-CN"});
        var en = el("input", {type: "text", value: o.label.en, "data-prop": "option-en", "aria-label": W.option_en, placeholder: W.option_en, lang: "en"});
        var item = el("li", {"data-option": o.key}, [zh, en]);
        zh.addEventListener("input", function () { o.label.zh = zh.value.trim(); writeOptions(f); changed(false); });
        en.addEventListener("input", function () {
          o.label.en = en.value.trim();
          var auto = f.key + ":" + o.key;
          if (autoOptions[auto] && slug(o.label.en)) {
            var key = freeKey(slug(o.label.en), function (k) { return k !== o.key && f.options.some(function (x) { return x.key === k; }); }, "opt");
            delete autoOptions[auto];
            if (f["default"] === o.key) { f["default"] = key; fieldPatch(f.key)["default"] = key; }
            o.key = key;
            autoOptions[f.key + ":" + key] = true;
            item.setAttribute("data-option", key);
          }
          writeOptions(f);
          changed(false);
        });
        if (!f.from_catalog) {
          [["↑", W.up, -1], ["↓", W.down, 1]].forEach(function (spec) {
            var button = el("button", {type: "button", "class": "fd-icon", text: spec[0], title: spec[1], "aria-label": spec[1],
                                       disabled: (spec[2] < 0 && i === 0) || (spec[2] > 0 && i === f.options.length - 1)});
            button.addEventListener("click", function () {
              f.options.splice(i + spec[2], 0, f.options.splice(i, 1)[0]);
              writeOptions(f); changed(true); draw();
            });
            item.appendChild(button);
          });
        }
        if (!o.from_catalog) {
          var remove = el("button", {type: "button", "class": "fd-icon", text: "×", title: W.remove, "aria-label": W.remove});
          remove.addEventListener("click", function () {
            f.options.splice(i, 1);
            if (f.from_catalog) {   // an option the overlay added to a catalog field: the patch drops it
              var patch = fieldPatch(f.key).options || {};
              delete patch[o.key];
            }
            writeOptions(f); changed(true); draw();
          });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
    }
    draw();
    var add = el("button", {type: "button", "class": "button button-secondary button-small", id: "fd-add-option", text: "+ " + W.add_option});
    add.addEventListener("click", function () {
      addOption(f); changed(true); draw();
      var inputs = list.querySelectorAll("li:last-child input");
      if (inputs.length) inputs[0].focus();
    });
    box.appendChild(list);
    box.appendChild(add);
    return box;
  }

  // -- saving ---------------------------------------------------------------------------------------------
  function setState(state, message) {
    document.body.setAttribute("data-fd-state", state);
    statusNode.textContent = message;
    statusNode.className = "fd-status small" + (state === "failed" ? " fd-failed" : state === "problems" ? " fd-warn" : " muted");
  }
  function changed(redraw) {
    edits += 1;
    setState("dirty", W.saving);
    if (redraw) renderSections();
    else {
      var f = selected && field(selected), cardNode = f && sectionsNode.querySelector(".fd-card[data-field='" + f.key + "'] .fd-card-label");
      if (cardNode) cardNode.textContent = text(f.label);
    }
    clearTimeout(timer);
    timer = setTimeout(save, 600);
  }
  function save() {
    var mine = ++sequence, sentAt = edits;
    setState("saving", W.saving);
    fetch(cfg.model_url, {method: "POST", credentials: "same-origin",
                          headers: {"Content-Type": "application/json", "X-CSRF-Token": token, "Accept": "application/json"},
                          body: JSON.stringify({overlay: overlay})})
      .then(function (response) {
        return response.json().then(function (data) { if (!response.ok) throw new Error((data.error && data.error.message) || response.status); return data; });
      })
      .then(function (answer) {
        if (mine !== sequence) return;
        if (edits === sentAt) {    // nothing changed meanwhile: take the server's view (the minimal overlay)
          var open = selected && field(selected);
          model = answer;
          overlay = answer.overlay;
          var fresh = open && field(open.key);
          if (fresh) {   // the panel keeps working on its own objects, brought up to date
            var options = open.options;
            Object.keys(fresh).forEach(function (name) { open[name] = fresh[name]; });
            open.options = options;
            model.entity.fields[model.entity.fields.indexOf(fresh)] = open;
          }
          renderSections();
        } else {
          model.problems = answer.problems;
        }
        if (answer.preview_html) document.getElementById("fd-preview").innerHTML = answer.preview_html;   // escaped by the server
        showProblems();
        var count = (answer.problems || []).length;
        setState(edits === sentAt ? (count ? "problems" : "saved") : "dirty",
                 count ? word("saved_problems", {count: count}) : W.saved);
      })
      .catch(function (error) { setState("failed", word("save_failed", {reason: error.message})); });
  }
  function showProblems() {
    var box = document.getElementById("fd-problems"), list = document.getElementById("fd-problem-list");
    list.textContent = "";
    (model.problems || []).forEach(function (p) { list.appendChild(el("li", {text: p.message})); });
    box.hidden = !(model.problems || []).length;
    showPanelProblems();
  }
  function showPanelProblems() {
    var box = document.getElementById("fd-panel-problems");
    if (!box || !selected) return;
    box.textContent = "";
    problemsOf(selected).forEach(function (p) { box.appendChild(el("p", {"class": "fd-card-problem", text: p.message})); });
  }

  window.addEventListener("beforeunload", function (event) {   // a change not saved yet asks before leaving
    var state = document.body.getAttribute("data-fd-state");
    if (state === "dirty" || state === "saving") { event.preventDefault(); event.returnValue = ""; }
  });
  document.getElementById("fd-add-section").addEventListener("click", addSection);
  renderSections();
  showProblems();
  setState(model.problems.length ? "problems" : "saved", model.problems.length ? word("saved_problems", {count: model.problems.length}) : "");
})();
