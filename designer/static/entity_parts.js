/* The list view's column order (↑ ↓ buttons, or drag and drop) and the permission matrix's row-filter presets. */
(function () {
  "use strict";
  document.querySelectorAll("[data-reorder]").forEach(function (list) {
    var dragged = null;
    list.addEventListener("click", function (event) {
      var button = event.target.closest("[data-move]");
      if (!button) return;
      var item = button.closest("li");
      if (button.getAttribute("data-move") === "up" && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.getAttribute("data-move") === "down" && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      button.focus();
    });
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("li");
      if (dragged) dragged.classList.add("is-dragging");
    });
    list.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("is-dragging");
      dragged = null;
    });
    list.addEventListener("dragover", function (event) {
      var over = event.target.closest("li");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      var box = over.getBoundingClientRect();
      list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    });
  });
  document.querySelectorAll("[data-preset]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-target"));
      input.value = button.getAttribute("data-preset");
      input.dispatchEvent(new Event("change", {bubbles: true}));
      input.focus();
    });
  });
  document.querySelectorAll("[data-picked-for]").forEach(function (line) {
    var select = document.getElementById(line.getAttribute("data-picked-for"));
    select.addEventListener("change", function () {
      var picked = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.textContent; });
      line.textContent = picked.length ? picked.join("、") : select.getAttribute("data-none");
    });
  });
})();
