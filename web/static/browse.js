// Autocomplete for search boxes with data-autocomplete="/search": suggestions from the
// search's JSON answer, keyboard and pointer friendly. No inline script; text only (never
// HTML) goes into the page. The ARIA 1.2 combobox pattern: the input keeps the focus,
// ArrowDown/ArrowUp move through the listbox's options (aria-activedescendant), ArrowDown
// opens a closed list, Enter follows the option, Escape closes; a polite status says how
// many suggestions there are.
(function () {
  "use strict";
  var counter = 0;

  function setup(input) {
    var endpoint = input.getAttribute("data-autocomplete");
    var form = input.form || input.parentNode;
    var list = document.createElement("ul");
    var id = "ac-list-" + (++counter);
    var items = [];
    var active = -1;
    var timer = null;
    var controller = null;
    list.id = id;
    list.className = "ac-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    form.appendChild(list);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    form.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(i) {
      var nodes = list.querySelectorAll("li[role=option]:not([aria-disabled])");
      for (var k = 0; k < nodes.length; k++) {
        nodes[k].setAttribute("aria-selected", k === i ? "true" : "false");
      }
      active = i;
      if (i >= 0 && nodes[i]) {
        input.setAttribute("aria-activedescendant", nodes[i].id);
        nodes[i].scrollIntoView({ block: "nearest" });
      }
    }

    function render(results) {
      list.textContent = "";
      items = results;
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "ac-empty";
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.textContent = "No matches";
        list.appendChild(none);
      }
      status.textContent = results.length
        ? results.length + (results.length === 1 ? " suggestion" : " suggestions") + ": arrow keys to choose"
        : "No matches";
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.textContent = r.label + (r.code ? " (" + r.code + ")" : "");
        var type = document.createElement("span");
        type.className = "ac-type";
        type.textContent = r.typeLabel || "";
        li.appendChild(label);
        li.appendChild(type);
        li.addEventListener("mousedown", function (ev) {
          ev.preventDefault();
          window.location.href = r.href;
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function lookup() {
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      if (controller) { controller.abort(); }
      controller = new AbortController();
      var url = endpoint + "?format=json&limit=8&q=" + encodeURIComponent(q);
      fetch(url, { signal: controller.signal, headers: { "Accept": "application/json" } })
        .then(function (resp) { return resp.ok ? resp.json() : { results: [] }; })
        .then(function (doc) { if (input.value.trim() === q) { render(doc.results || []); } })
        .catch(function () { /* aborted or offline: keep the old list */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(lookup, 120);
    });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden) {
        if (ev.key === "ArrowDown" && input.value.trim().length >= 2) { ev.preventDefault(); lookup(); }
        return;
      }
      if (ev.key === "ArrowDown") { ev.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); mark(active < 0 ? items.length - 1 : active - 1); }
      else if (ev.key === "Escape") { ev.preventDefault(); close(); }
      else if (ev.key === "Enter" && active >= 0 && items[active]) {
        ev.preventDefault();
        window.location.href = items[active].href;
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-autocomplete]");
    for (var i = 0; i < inputs.length; i++) { setup(inputs[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

// The SHACL badge of a resource page: its own violations and warnings in the store's report,
// linking to them on /validation (data from /validation/focus; text only goes into the page).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-focus]"), function (holder) {
    var iri = holder.getAttribute("data-focus");
    fetch("/validation/focus?iri=" + encodeURIComponent(iri), { headers: { Accept: "application/json" } })
      .then(function (resp) { return resp.ok ? resp.json() : null; })
      .then(function (b) {
        if (!b || !b.checked) return;
        var parts = [];
        if (b.violations) parts.push(["violation", b.violations + (b.violations === 1 ? " violation" : " violations")]);
        if (b.warnings) parts.push(["warning", b.warnings + (b.warnings === 1 ? " warning" : " warnings")]);
        if (!parts.length) parts.push(["ok", "no SHACL issues"]);
        parts.forEach(function (p) {
          var a = document.createElement(p[0] === "ok" ? "span" : "a");
          a.className = "badge " + p[0];
          a.textContent = p[1];
          if (p[0] !== "ok") a.href = b.link;
          holder.appendChild(a);
          holder.appendChild(document.createTextNode(" "));
        });
        holder.hidden = false;
      })
      .catch(function () {});
  });
})();
