/* The approval editor: bpmn-js on the entity's process, a small properties panel for what the engine
   reads (candidate roles, assignee, the task's editable fields, due date, flow conditions), and the
   server round trips: check (problems marked on the diagram by element id) and save into the draft.
   Roles are shown by their label, never by key: lanes (named after a role key, as the engine reads
   them) carry their role's label over the key, tasks a badge of their candidate roles, and the panel
   picks roles by label while writing keys. `window.formworkModeler` is the bpmn-js modeler, for scripts
   and tests. */
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

  var SUBMITTER = {name: "submitter", label: null, word: words.submitter};
  var ROLES = data.roles.concat([SUBMITTER]);
  function normal(name) { return String(name || "").trim().replace(/[\s\-]+/g, "_").toLowerCase(); }
  /* The declared role a lane name or candidate group means (the engine's matching), or null. */
  function roleOf(key) {
    var n = normal(key);
    if (n === "initiator") n = "submitter";
    for (var i = 0; i < ROLES.length; i++) if (normal(ROLES[i].name) === n) return ROLES[i];
    return null;
  }
  function roleLabel(role) { return role.word || label(role); }
  function keysOf(text) { return String(text || "").split(",").map(function (s) { return s.trim(); }).filter(Boolean); }

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
      where.textContent = element ? displayName(element) : format(words.line, {line: p.line, column: p.column});
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

  // -- an approval level -----------------------------------------------------------------------------

  var ROOM = 160;  /* the room a new task takes, made as with the space tool: what is right of it moves right */

  function makeRoom(x) {
    var everything = modeler.get("elementRegistry").filter(function (e) { return !!e.parent; });
    var moves = modeler.get("spaceTool").calculateAdjustments(everything, "x", ROOM, x);
    modeler.get("modeling").createSpace(moves.movingShapes, moves.resizingShapes, {x: ROOM, y: 0}, "e", x);
  }

  function newTask(center, near) {
    var parent = near.parent.type === "bpmn:Lane" ? near.parent.parent : near.parent;
    var task = modeler.get("modeling").createShape({type: "bpmn:UserTask"}, center, parent);
    modeler.get("modeling").updateProperties(task, {name: words.new_step});
    return task;
  }

  /* Split a sequence flow with a new user task: source -> task -> target. */
  function onFlow(flow) {
    var modeling = modeler.get("modeling");
    var points = flow.waypoints;
    var i = Math.floor((points.length - 1) / 2);
    var at = {x: Math.round((points[i].x + points[i + 1].x) / 2), y: Math.round((points[i].y + points[i + 1].y) / 2)};
    makeRoom(at.x);
    var target = flow.target;
    var center = {x: at.x + ROOM / 2, y: at.y};
    var task = newTask(center, flow.source);
    modeling.reconnectEnd(flow, task, center);
    modeling.layoutConnection(flow);
    modeling.connect(task, target, {type: "bpmn:SequenceFlow"});
    return task;
  }

  /* Before an end event: every flow into it now goes into the new task, and the task into the end. */
  function beforeEnd(end) {
    var modeling = modeler.get("modeling");
    var y = end.y + end.height / 2;
    makeRoom(end.x - 20);
    var center = {x: end.x - ROOM + 60, y: y};
    var task = newTask(center, end);
    end.incoming.slice().forEach(function (flow) {
      if (flow.source === task) return;
      modeling.reconnectEnd(flow, task, {x: task.x, y: center.y});
      modeling.layoutConnection(flow);
    });
    modeling.connect(task, end, {type: "bpmn:SequenceFlow"});
    return task;
  }

  /* After a task: its outgoing flows now leave from the new task. */
  function afterTask(last) {
    var modeling = modeler.get("modeling");
    var right = last.x + last.width;
    makeRoom(right + 10);
    var center = {x: right + ROOM / 2 + 10, y: last.y + last.height / 2};
    var task = newTask(center, last);
    last.outgoing.slice().forEach(function (flow) {
      modeling.reconnectStart(flow, task, {x: task.x + task.width, y: center.y});
      modeling.layoutConnection(flow);
    });
    modeling.connect(last, task, {type: "bpmn:SequenceFlow"});
    return task;
  }

  /* Where a new level goes with no flow selected: before the end event a record reaches when approved (one
     with a flow in that carries no condition, the rightmost), else after the rightmost user task. */
  function defaultPlace() {
    var registry = modeler.get("elementRegistry");
    var ends = registry.filter(function (e) { return e.type === "bpmn:EndEvent" && e.incoming.length; });
    var plain = ends.filter(function (e) {
      return e.incoming.some(function (f) { return !f.businessObject.conditionExpression; });
    });
    var pool = plain.length ? plain : ends;
    pool.sort(function (a, b) { return b.x - a.x; });
    if (pool.length) return {end: pool[0]};
    var tasks = registry.filter(function (e) { return e.type === "bpmn:UserTask"; });
    tasks.sort(function (a, b) { return b.x - a.x; });
    return tasks.length ? {task: tasks[0]} : null;
  }

  /* 添加审批层级: a new user task on the selected flow, else where defaultPlace says; its name and roles are
     then typed and ticked in the panel, which is focused on its name. */
  function addLevel() {
    var selected = modeler.get("selection").get();
    var flow = selected.length === 1 && selected[0].type === "bpmn:SequenceFlow" ? selected[0] : null;
    var place = flow ? null : defaultPlace();
    if (!flow && !place) { say(words.no_place); return null; }
    var task = flow ? onFlow(flow) : place.end ? beforeEnd(place.end) : afterTask(place.task);
    modeler.get("selection").select(task);
    focus(task.id);
    say(words.level_added);
    var name = panel.querySelector("[data-prop='name']");
    if (name) { name.focus(); name.select(); }
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

  /* A checkbox list of the roles by label (a search box filters it), ticked from `chosen` (keys); keys that
     are no declared role are listed too, ticked, so they can be unticked. `onChange` gets the ticked keys. */
  function rolePicker(chosen, onChange) {
    var wrap = document.createElement("div");
    var search = document.createElement("input");
    search.type = "search";
    search.className = "role-search";
    search.placeholder = words.find_role;
    search.setAttribute("aria-label", words.find_role);
    search.setAttribute("data-prop", "roleSearch");
    var box = document.createElement("div");
    box.className = "role-picker";
    box.setAttribute("data-prop", "candidateRoles");
    var unknown = chosen.filter(function (key) { return !roleOf(key); });
    function item(key, text, checked, extra) {
      var row = document.createElement("label");
      if (extra) row.className = extra;
      var tick = document.createElement("input");
      tick.type = "checkbox";
      tick.value = key;
      tick.checked = checked;
      row.appendChild(tick);
      row.appendChild(document.createTextNode(text));
      row.setAttribute("data-role-label", text);
      box.appendChild(row);
    }
    ROLES.forEach(function (role) {
      item(role.name, roleLabel(role), chosen.some(function (key) { return roleOf(key) === role; }));
    });
    unknown.forEach(function (key) { item(key, format(words.unknown_role, {name: key}), true, "unknown"); });
    box.addEventListener("change", function () {
      onChange(Array.prototype.filter.call(box.querySelectorAll("input"), function (t) { return t.checked; })
        .map(function (t) { return t.value; }));
    });
    search.addEventListener("input", function () {
      var q = search.value.trim().toLowerCase();
      Array.prototype.forEach.call(box.children, function (row) {
        row.hidden = !!q && row.getAttribute("data-role-label").toLowerCase().indexOf(q) < 0;
      });
    });
    wrap.appendChild(search);
    wrap.appendChild(box);
    return wrap;
  }

  /* The lane's role, picked by label; the lane's name is the role's key (the engine reads lanes by key). */
  function lanePicker(element) {
    var pick = document.createElement("select");
    pick.setAttribute("data-prop", "laneRole");
    var current = roleOf(element.businessObject.name);
    var none = document.createElement("option");
    none.value = "";
    none.textContent = words.no_role;
    pick.appendChild(none);
    if (element.businessObject.name && !current) {
      var odd = document.createElement("option");
      odd.value = element.businessObject.name;
      odd.textContent = format(words.unknown_role, {name: element.businessObject.name});
      odd.selected = true;
      pick.appendChild(odd);
    }
    ROLES.forEach(function (role) {
      var option = document.createElement("option");
      option.value = role.name;
      option.textContent = roleLabel(role);
      option.selected = current === role;
      pick.appendChild(option);
    });
    pick.addEventListener("change", function () {
      modeler.get("modeling").updateProperties(element, {name: pick.value || undefined});
    });
    return pick;
  }

  function displayName(element) {
    var bo = element.businessObject;
    var role = element.type === "bpmn:Lane" ? roleOf(bo.name) : null;
    return role ? roleLabel(role) : bo.name || bo.id;
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
    if (element.type === "bpmn:Lane") {
      field(words.lane_role_pick, lanePicker(element), words.lane_role_help);
      return;
    }
    var name = field(words.element_name, input(bo.name, "name"));
    name.addEventListener("change", function () { modeling.updateProperties(element, {name: name.value || undefined}); });

    if (HUMAN.indexOf(element.type) >= 0) {
      var picker = rolePicker(keysOf(bo.get("camunda:candidateGroups")), function (keys) {
        modeling.updateProperties(element, {"camunda:candidateGroups": keys.join(",") || undefined});
      });
      var legend = document.createElement("div");
      legend.className = "field";
      var title = document.createElement("label");
      title.textContent = words.candidate_roles;
      title.setAttribute("for", "role-search");
      picker.querySelector("input[type=search]").id = "role-search";
      legend.appendChild(title);
      legend.appendChild(picker);
      var hint = document.createElement("p");
      hint.className = "hint";
      hint.textContent = words.candidate_roles_help;
      legend.appendChild(hint);
      panel.appendChild(legend);
      var editable = document.createElement("select");
      editable.multiple = true;
      editable.size = 8;
      editable.setAttribute("data-prop", "editable");
      var chosen = editableOf(element);
      data.fields.forEach(function (f) {
        var option = document.createElement("option");
        option.value = f.name;
        option.textContent = label(f);
        option.title = f.name;
        option.selected = chosen.indexOf(f.name) >= 0;
        editable.appendChild(option);
      });
      field(words.editable, editable);
      editable.addEventListener("change", function () {
        setEditable(element, Array.prototype.filter.call(editable.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }));
      });
      var more = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = words.advanced;
      more.appendChild(summary);
      panel.appendChild(more);
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
      more.appendChild(assignee.parentNode);
      more.appendChild(due.parentNode);
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

  // -- roles on the diagram -------------------------------------------------------------------------

  /* Lanes named after a role show its label over the key; tasks with candidate roles show them as a badge. */
  function showRoles() {
    var overlays = modeler.get("overlays");
    overlays.remove({type: "fw-roles"});
    modeler.get("elementRegistry").forEach(function (element) {
      var bo = element.businessObject;
      if (element.type === "bpmn:Lane" && roleOf(bo.name)) {
        var lane = document.createElement("div");
        lane.className = data.language === "zh" ? "fw-lane-label" : "fw-lane-label is-latin";
        lane.setAttribute("data-element", element.id);
        lane.style.width = "30px";
        lane.style.height = element.height + "px";
        lane.textContent = roleLabel(roleOf(bo.name));
        overlays.add(element.id, "fw-roles", {position: {top: 0, left: 0}, html: lane});
      } else if (HUMAN.indexOf(element.type) >= 0 && bo.get("camunda:candidateGroups")) {
        var names = keysOf(bo.get("camunda:candidateGroups")).map(function (key) {
          var role = roleOf(key);
          return role ? roleLabel(role) : format(words.unknown_role, {name: key});
        });
        var badge = document.createElement("div");
        badge.className = "fw-task-roles";
        badge.setAttribute("data-element", element.id);
        badge.textContent = names.join("、");
        badge.title = names.join("、");
        overlays.add(element.id, "fw-roles", {position: {top: element.height + 2, left: 0}, html: badge});
      }
    });
  }

  // -- zoom --------------------------------------------------------------------------------------------

  /* Fit the whole diagram right of the palette; on opening, where that is too small to read (a wide process,
     a narrow screen), fit its height instead and start at its left (the rest is a drag or a swipe away). */
  function fit(whole) {
    var canvas = modeler.get("canvas");
    canvas.zoom("fit-viewport", "auto");
    var box = canvas.viewbox();
    var inner = box.inner;
    var tools = document.querySelector("#process-canvas .djs-palette");
    var left = tools && tools.offsetWidth ? tools.offsetLeft + tools.offsetWidth + 10 : 10;
    var zoom = Math.min(1, (box.outer.width - left - 10) / inner.width, (box.outer.height - 20) / inner.height);
    if (!whole && zoom < 0.55) zoom = Math.max(0.55, Math.min(1, (box.outer.height - 20) / inner.height));
    canvas.zoom(zoom);
    var now = canvas.viewbox();
    canvas.viewbox({x: inner.x - left / zoom, y: inner.y - 10 / zoom, width: now.width, height: now.height});
  }

  function zoomBy(factor) {
    var canvas = modeler.get("canvas");
    var box = canvas.viewbox();
    canvas.zoom(Math.min(4, Math.max(0.2, canvas.zoom() * factor)),
                {x: box.outer.width / 2, y: box.outer.height / 2});
  }

  /* On a phone one finger drags the diagram (bpmn-js pans with the mouse only); a tap still selects. */
  function touchPan(container) {
    var last = null;
    container.addEventListener("touchstart", function (event) {
      last = event.touches.length === 1 ? {x: event.touches[0].clientX, y: event.touches[0].clientY} : null;
    }, {passive: true});
    container.addEventListener("touchmove", function (event) {
      if (!last || event.touches.length !== 1) return;
      var touch = event.touches[0];
      modeler.get("canvas").scroll({dx: touch.clientX - last.x, dy: touch.clientY - last.y});
      last = {x: touch.clientX, y: touch.clientY};
      event.preventDefault();
    }, {passive: false});
    container.addEventListener("touchend", function () { last = null; });
  }

  // -- start ---------------------------------------------------------------------------------------

  function later() {
    dirty = true;
    say(words.unsaved);
    showRoles();
    clearTimeout(timer);
    timer = setTimeout(check, 900);
  }

  fetch(data.moddle_url, {credentials: "same-origin"}).then(function (response) { return response.json(); })
    .then(function (camunda) {
      modeler = new window.BpmnJS({container: "#process-canvas", moddleExtensions: {camunda: camunda}});
      window.formworkModeler = modeler;
      window.formworkEditor = {check: check, save: save, addLevel: addLevel, fit: fit};
      return modeler.importXML(data.xml);
    })
    .then(function () {
      fit();
      showRoles();
      touchPan(document.getElementById("process-canvas"));
      modeler.on("selection.changed", function (event) {
        showPanel(event.newSelection.length === 1 ? event.newSelection[0] : null);
      });
      modeler.on("commandStack.changed", later);
      document.getElementById("check-process").addEventListener("click", check);
      document.getElementById("save-process").addEventListener("click", save);
      document.getElementById("add-level").addEventListener("click", addLevel);
      document.getElementById("zoom-in").addEventListener("click", function () { zoomBy(1.25); });
      document.getElementById("zoom-out").addEventListener("click", function () { zoomBy(0.8); });
      document.getElementById("zoom-fit").addEventListener("click", function () { fit(true); });
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = words.leave_unsaved; return words.leave_unsaved; }
      });
      document.body.setAttribute("data-process-ready", "true");
      return check();
    })
    .catch(function (error) { say(format(words.request_failed, {reason: error.message || String(error)})); });
})();
