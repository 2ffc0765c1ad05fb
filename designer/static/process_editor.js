/* The approval editor: bpmn-js on the entity's process, a small properties panel for what the engine
   reads (candidate roles, assignee, the task's editable fields, due date, flow conditions), and the
   server round trips: check (problems marked on the diagram by element id) and save into the draft.
   `window.formworkModeler` is the bpmn-js modeler, for scripts and tests. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("process-data").textContent);
  var words = data.words;
  var token = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var statusLine = document.getElementById("process-status");
  var problemList = document.getElementById("process-problem-list");
  var panel = document.getElementById("properties-body");
  var modeler = null;
  var marked = [];
  var dirty = false;
  var sequence = 0;
  var timer = null;
  var HUMAN = ["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task"];

  function say(text) { statusLine.textContent = text; }
  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function label(item) { return (item.label && item.label[data.language]) || item.name; }

  function post(url, xml) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json", "Accept": "application/json",
                                 "X-CSRF-Token": token},
                       body: JSON.stringify({xml: xml})})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok && !body.problems) {
            throw new Error((body.error && body.error.message) || response.statusText);
          }
          return body;
        });
      });
  }

  // -- problems on the diagram -------------------------------------------------------------------

  function clearMarks() {
    var canvas = modeler.get("canvas");
    modeler.get("overlays").remove({type: "fw-problem"});
    marked.forEach(function (id) { if (modeler.get("elementRegistry").get(id)) canvas.removeMarker(id, "fw-error"); });
    marked = [];
  }

  function showProblems(problems) {
    clearMarks();
    problemList.textContent = "";
    document.getElementById("process-problems-none").hidden = problems.length > 0;
    var registry = modeler.get("elementRegistry");
    var byElement = {};
    problems.forEach(function (p) {
      var element = p.in_process && p.element ? registry.get(p.element) : null;
      if (element) (byElement[p.element] = byElement[p.element] || []).push(p.message);
      var item = document.createElement("li");
      item.setAttribute("data-element", element ? p.element : "");
      var where = document.createElement("strong");
      where.textContent = element ? p.element : format(words.line, {line: p.line, column: p.column});
      item.appendChild(where);
      item.appendChild(document.createTextNode(" " + p.message));
      if (element) item.addEventListener("click", function () { focus(p.element); });
      problemList.appendChild(item);
    });
    Object.keys(byElement).forEach(function (id) {
      modeler.get("canvas").addMarker(id, "fw-error");
      marked.push(id);
      var badge = document.createElement("div");
      badge.className = "fw-problem-badge fw-problem";
      badge.setAttribute("data-element", id);
      badge.setAttribute("title", byElement[id].join("\n"));
      badge.textContent = String(byElement[id].length);
      var text = document.createElement("div");
      text.className = "fw-problem-text";
      text.textContent = byElement[id].join("\n");
      badge.appendChild(text);
      badge.addEventListener("click", function () { badge.classList.toggle("is-open"); });
      modeler.get("overlays").add(id, "fw-problem", {position: {top: -10, right: 10}, html: badge});
    });
  }

  function focus(id) {
    var element = modeler.get("elementRegistry").get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    var canvas = modeler.get("canvas");
    if (canvas.zoom() < 0.9) canvas.zoom(1);
    canvas.scrollToElement(element, {top: 120, bottom: 120, left: 160, right: 160});
  }

  function check() {
    var mine = ++sequence;
    say(words.checking);
    return modeler.saveXML({format: true}).then(function (saved) {
      return post(data.validate_url, saved.xml);
    }).then(function (result) {
      if (mine !== sequence) return result;
      showProblems(result.problems || []);
      say(result.valid ? words.process_ok : format(words.process_problems, {count: result.problems.length}));
      document.body.setAttribute("data-process-checked", String(mine));
      return result;
    }).catch(function (error) { say(format(words.request_failed, {reason: error.message})); });
  }

  function save() {
    clearTimeout(timer);
    var mine = ++sequence;
    return modeler.saveXML({format: true}).then(function (saved) {
      return post(data.save_url, saved.xml);
    }).then(function (result) {
      showProblems(result.problems || []);
      if (result.saved) {
        dirty = false;
        say(result.valid ? words.saved : format(words.saved_with_problems, {count: result.problems.length}));
      } else {
        say(format(words.process_problems, {count: (result.problems || []).length}));
      }
      document.body.setAttribute("data-process-saved", String(mine));
      return result;
    }).catch(function (error) { say(format(words.request_failed, {reason: error.message})); });
  }

  // -- an approval step on a flow ------------------------------------------------------------------

  /* Split the selected sequence flow with a new user task: source -> task -> target. Space is made first,
     as with the space tool: everything right of the flow's middle moves right by one task's room. */
  function insertStep() {
    var selected = modeler.get("selection").get();
    var flow = selected.length === 1 && selected[0].type === "bpmn:SequenceFlow" ? selected[0] : null;
    if (!flow) { say(words.insert_needs_flow); return null; }
    var modeling = modeler.get("modeling");
    var points = flow.waypoints;
    var i = Math.floor((points.length - 1) / 2);
    var at = {x: Math.round((points[i].x + points[i + 1].x) / 2), y: Math.round((points[i].y + points[i + 1].y) / 2)};
    var room = 160;
    var everything = modeler.get("elementRegistry").filter(function (e) { return !!e.parent; });
    var moves = modeler.get("spaceTool").calculateAdjustments(everything, "x", room, at.x);
    modeling.createSpace(moves.movingShapes, moves.resizingShapes, {x: room, y: 0}, "e", at.x);
    var target = flow.target;
    var parent = flow.source.parent.type === "bpmn:Lane" ? flow.source.parent.parent : flow.source.parent;
    var center = {x: at.x + room / 2, y: at.y};
    var task = modeling.createShape({type: "bpmn:UserTask"}, center, parent);
    modeling.updateProperties(task, {name: words.new_step});
    modeling.reconnectEnd(flow, task, center);
    modeling.layoutConnection(flow);
    modeling.connect(task, target, {type: "bpmn:SequenceFlow"});
    modeler.get("selection").select(task);
    return task.id;
  }

  // -- the properties panel --------------------------------------------------------------------------

  function field(labelText, control, hint) {
    var wrap = document.createElement("div");
    wrap.className = "field";
    var id = "prop-" + Math.random().toString(36).slice(2, 8);
    var tag = document.createElement("label");
    tag.setAttribute("for", control.id || id);
    if (!control.id) control.id = id;
    tag.textContent = labelText;
    wrap.appendChild(tag);
    wrap.appendChild(control);
    if (hint) {
      var p = document.createElement("p");
      p.className = "hint";
      p.textContent = hint;
      wrap.appendChild(p);
    }
    panel.appendChild(wrap);
    return control;
  }

  function input(value, name) {
    var box = document.createElement("input");
    box.type = "text";
    box.value = value || "";
    box.setAttribute("data-prop", name);
    box.autocomplete = "off";
    return box;
  }

  function datalist(id, values) {
    if (document.getElementById(id)) return id;
    var list = document.createElement("datalist");
    list.id = id;
    values.forEach(function (v) { var o = document.createElement("option"); o.value = v; list.appendChild(o); });
    document.body.appendChild(list);
    return id;
  }

  function properties(element) {
    var bo = element.businessObject;
    var props = (bo.extensionElements && bo.extensionElements.values || []).filter(function (v) {
      return v.$type === "camunda:Properties";
    })[0];
    return props;
  }

  function editableOf(element) {
    var props = properties(element);
    var found = props && (props.values || []).filter(function (p) { return p.name === "editable"; })[0];
    return found && found.value ? found.value.split(",").map(function (s) { return s.trim(); }) : [];
  }

  function setEditable(element, names) {
    var moddle = modeler.get("moddle");
    var bo = element.businessObject;
    var ext = bo.extensionElements || moddle.create("bpmn:ExtensionElements", {values: []});
    var props = properties(element);
    if (!props) {
      props = moddle.create("camunda:Properties", {values: []});
      props.$parent = ext;
      ext.get("values").push(props);
    }
    var values = props.get("values").filter(function (p) { return p.name !== "editable"; });
    if (names.length) {
      var property = moddle.create("camunda:Property", {name: "editable", value: names.join(",")});
      property.$parent = props;
      values.push(property);
    }
    props.values = values;
    if (!values.length) ext.values = ext.get("values").filter(function (v) { return v !== props; });
    modeler.get("modeling").updateProperties(element, {extensionElements: ext.get("values").length ? ext : undefined});
  }

  function showPanel(element) {
    panel.textContent = "";
    if (!element || element.type === "bpmn:Process" || element.type === "bpmn:Collaboration" ||
        element.type === "label") {
      var p = document.createElement("p");
      p.className = "muted small";
      p.textContent = words.select_element;
      panel.appendChild(p);
      return;
    }
    var bo = element.businessObject;
    var modeling = modeler.get("modeling");
    var id = input(bo.id, "id");
    id.readOnly = true;
    field(words.element_id, id);
    var name = field(words.element_name, input(bo.name, "name"),
                     element.type === "bpmn:Lane" ? words.lane_role : "");
    if (element.type === "bpmn:Lane") name.setAttribute("list", datalist("fw-roles", data.roles.map(function (r) {
      return r.name; })));
    name.addEventListener("change", function () { modeling.updateProperties(element, {name: name.value || undefined}); });

    if (HUMAN.indexOf(element.type) >= 0) {
      var groups = field(words.candidate_groups, input(bo.get("camunda:candidateGroups"), "candidateGroups"),
                         words.candidate_groups_help);
      groups.addEventListener("change", function () {
        modeling.updateProperties(element, {"camunda:candidateGroups": groups.value.trim() || undefined});
      });
      var pick = document.createElement("select");
      pick.setAttribute("data-prop", "addRole");
      var first = document.createElement("option");
      first.value = "";
      first.textContent = words.add_role;
      pick.appendChild(first);
      data.roles.concat([{name: "submitter", label: null}]).forEach(function (role) {
        var option = document.createElement("option");
        option.value = role.name;
        option.textContent = role.label ? label(role) + " (" + role.name + ")" : role.name;
        pick.appendChild(option);
      });
      field(words.add_role, pick);
      pick.addEventListener("change", function () {
        if (!pick.value) return;
        var current = groups.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        if (current.indexOf(pick.value) < 0) current.push(pick.value);
        groups.value = current.join(",");
        pick.value = "";
        groups.dispatchEvent(new Event("change"));
      });
      var assignee = field(words.assignee, input(bo.get("camunda:assignee"), "assignee"), words.assignee_help);
      assignee.setAttribute("list", datalist("fw-user-fields", ["${initiator}"].concat(data.fields.filter(function (f) {
        return f.type === "user" || f.name === "created_by"; }).map(function (f) { return "${" + f.name + "}"; }))));
      assignee.addEventListener("change", function () {
        modeling.updateProperties(element, {"camunda:assignee": assignee.value.trim() || undefined});
      });
      var due = field(words.due_date, input(bo.get("camunda:dueDate"), "dueDate"));
      due.addEventListener("change", function () {
        modeling.updateProperties(element, {"camunda:dueDate": due.value.trim() || undefined});
      });
      var editable = document.createElement("select");
      editable.multiple = true;
      editable.size = 8;
      editable.setAttribute("data-prop", "editable");
      var chosen = editableOf(element);
      data.fields.forEach(function (f) {
        var option = document.createElement("option");
        option.value = f.name;
        option.textContent = label(f) + " (" + f.name + ")";
        option.selected = chosen.indexOf(f.name) >= 0;
        editable.appendChild(option);
      });
      field(words.editable, editable);
      editable.addEventListener("change", function () {
        setEditable(element, Array.prototype.filter.call(editable.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }));
      });
    }

    if (element.type === "bpmn:SequenceFlow") {
      var condition = document.createElement("textarea");
      condition.rows = 3;
      condition.setAttribute("data-prop", "condition");
      condition.value = bo.conditionExpression ? bo.conditionExpression.body || "" : "";
      field(words.condition, condition, words.condition_help);
      condition.addEventListener("change", function () {
        var text = condition.value.trim();
        var expression = text ? modeler.get("moddle").create("bpmn:FormalExpression", {body: text}) : undefined;
        modeling.updateProperties(element, {conditionExpression: expression});
      });
      var source = element.source && element.source.businessObject;
      if (source && /Gateway$/.test(element.source.type)) {
        var box = document.createElement("input");
        box.type = "checkbox";
        box.setAttribute("data-prop", "default");
        box.checked = source.default === bo;
        field(words.default_flow, box);
        box.addEventListener("change", function () {
          modeling.updateProperties(element.source, {"default": box.checked ? bo : undefined});
        });
      }
    }
  }

  // -- start ---------------------------------------------------------------------------------------

  function later() {
    dirty = true;
    say(words.unsaved);
    clearTimeout(timer);
    timer = setTimeout(check, 900);
  }

  fetch(data.moddle_url, {credentials: "same-origin"}).then(function (response) { return response.json(); })
    .then(function (camunda) {
      modeler = new window.BpmnJS({container: "#process-canvas", moddleExtensions: {camunda: camunda}});
      window.formworkModeler = modeler;
      window.formworkEditor = {check: check, save: save, insertStep: insertStep};
      return modeler.importXML(data.xml);
    })
    .then(function () {
      var canvas = modeler.get("canvas");
      canvas.zoom("fit-viewport", "auto");
      canvas.zoom(canvas.zoom() * 0.9, "auto");  /* room for the palette on the left */
      canvas.scroll({dx: 30, dy: 0});
      modeler.on("selection.changed", function (event) {
        showPanel(event.newSelection.length === 1 ? event.newSelection[0] : null);
      });
      modeler.on("commandStack.changed", later);
      document.getElementById("check-process").addEventListener("click", check);
      document.getElementById("save-process").addEventListener("click", save);
      document.getElementById("insert-step").addEventListener("click", insertStep);
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = ""; }
      });
      document.body.setAttribute("data-process-ready", "true");
      return check();
    })
    .catch(function (error) { say(format(words.request_failed, {reason: error.message || String(error)})); });
})();
