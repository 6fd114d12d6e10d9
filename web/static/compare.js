/* /compare: the occupation pickers. Each input[data-picker] searches occupation titles and
 * codes as the user types (the JSON of its data-picker URL: {"results": [{"label", "code",
 * "value", "href"}]}) and offers them in a listbox; picking one puts its code (or its path) in
 * the field, so the form names the occupation exactly. Without this script the form still
 * works with a code, an IRI or an exact title. No inline scripts: the page's CSP forbids them.
 * The ARIA 1.2 combobox pattern: the focus stays in the input; ArrowDown opens the list and
 * moves down, ArrowUp up (both wrap), Enter picks, Escape closes; a polite status (the
 * element of the input's data-status) says how many occupations match.
 */
(function () {
  "use strict";

  function setup(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    if (!list) return;
    var endpoint = input.getAttribute("data-picker");
    var timer = null;
    var active = -1;
    var items = [];
    var seq = 0;
    var status = document.getElementById(input.getAttribute("data-status"));

    function say(text) {
      if (status) status.textContent = text;
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(n) {
      var options = list.querySelectorAll("li[role=option]:not([aria-disabled])");
      active = n;
      Array.prototype.forEach.call(options, function (li, i) {
        li.setAttribute("aria-selected", i === n ? "true" : "false");
        if (i === n) {
          input.setAttribute("aria-activedescendant", li.id);
          li.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function choose(n) {
      var item = items[n];
      if (!item) return;
      input.value = item.value || item.code || item.href || item.iri;
      input.setAttribute("data-title", item.label);
      input.title = item.label;
      close();
      say(item.label + " chosen");
      input.dispatchEvent(new CustomEvent("occupation-picked", { bubbles: true, detail: item }));
    }

    function render(results) {
      items = results;
      list.textContent = "";
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "empty";
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.textContent = "No occupation matches";
        list.appendChild(none);
      }
      say(results.length
        ? results.length + (results.length === 1 ? " occupation matches" : " occupations match") + ": arrow keys to choose, Enter to pick"
        : "No occupation matches");
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = input.id + "-option-" + i;
        li.setAttribute("aria-selected", "false");
        var title = document.createElement("span");
        title.className = "title";
        title.textContent = item.label;
        li.appendChild(title);
        if (item.code) {
          var code = document.createElement("span");
          code.className = "code";
          code.textContent = item.code;
          li.appendChild(code);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
          choose(i);
        });
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      var q = input.value.trim();
      if (q.length < 2) {
        close();
        return;
      }
      var mine = ++seq;
      var url = endpoint + (endpoint.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (doc) {
          if (mine === seq && document.activeElement === input) render(doc.results || []);
        })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      input.removeAttribute("data-title");
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown" && input.value.trim().length >= 2) {
          event.preventDefault();
          search();
        }
        return;
      }
      var n = list.querySelectorAll("li[role=option]:not([aria-disabled])").length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(n ? (active + 1) % n : -1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(n ? (active - 1 + n) % n : -1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        choose(active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-picker]"), setup);
  });
})();
