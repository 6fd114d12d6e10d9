/* The SPARQL editor page: YASGUI over this endpoint, the worked examples, full downloads.
 *
 * Configuration comes from the page's JSON data block (#editor-config): endpoint, prefixes,
 * starter query, examples, and whether YASGUI's files were found. No inline scripts. Without
 * YASGUI (window.Yasgui missing), the examples fill the plain form instead.
 * The YASGUI instance is window.competencyKgEditor (for the console and the browser tests).
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("editor-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var examples = {};
  config.examples.forEach(function (e) { examples[e.id] = e; });

  var yasgui = null;
  if (window.Yasgui && document.getElementById("yasgui")) {
    yasgui = startYasgui();
  } else {
    document.getElementById("plain-form").hidden = false;
  }

  function startYasgui() {
    var Yasgui = window.Yasgui;
    var ours = Object.keys(config.prefixes).map(function (p) {
      return p + ": <" + config.prefixes[p] + ">";
    });
    // Prefix completion offers the graph's own prefixes first (typing "ckg:" declares it).
    var prefixCompleter = Yasgui.Yasqe.Autocompleters.prefixes;
    if (prefixCompleter) {
      var bundled = prefixCompleter.get;
      prefixCompleter.get = function () {
        return bundled.apply(this, arguments).then(function (list) {
          var taken = {};
          ours.forEach(function (p) { taken[p.split(":")[0]] = true; });
          return ours.concat(list.filter(function (p) { return !taken[p.split(":")[0]]; }));
        });
      };
    }
    // Class and property completion asks a public web service (LOV): not from this page.
    var completers = ["prefixes", "variables"];
    Yasgui.Yasqe.defaults.autocompleters = completers;
    Yasgui.defaults.yasqe.autocompleters = completers;

    // Tables start in "simple view": values without quotes, language tags and datatypes.
    var tabDefaults = Yasgui.Tab.getDefaults;
    Yasgui.Tab.getDefaults = function () {
      var defaults = tabDefaults.apply(this, arguments);
      defaults.yasr.settings.pluginsConfig = { table: { compact: true } };
      return defaults;
    };

    // Result IRIs under the data base link to their page on this server (the same path under
    // this server's origin), not to the public base, which may not resolve to this data; the
    // link text stays the IRI. Other IRIs are left as they are.
    var table = Yasgui.Yasr && Yasgui.Yasr.plugins && Yasgui.Yasr.plugins.table;
    if (table && table.prototype.getUriLinkFromBinding) {
      var uriLink = table.prototype.getUriLinkFromBinding;
      table.prototype.getUriLinkFromBinding = function (binding) {
        var html = uriLink.apply(this, arguments);
        var local = localHref(binding.value);
        if (local === null) return html;
        var holder = document.createElement("template");
        holder.innerHTML = html;
        var a = holder.content.querySelector("a");
        if (!a) return html;
        a.setAttribute("href", local);
        a.setAttribute("title", binding.value);
        a.setAttribute("target", "_self");
        a.removeAttribute("ref");
        return holder.innerHTML;
      };
    }

    var instance = new Yasgui(document.getElementById("yasgui"), {
      requestConfig: {
        endpoint: endpoint,
        method: "POST",
        acceptHeaderSelect: "application/sparql-results+json",
        acceptHeaderGraph: "text/turtle",
      },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: {
        getData: function () { return [{ endpoint: endpoint }]; },
        keys: [],
      },
      persistenceId: "competency-kg-editor",
      tabName: "Query",
      yasqe: { value: config.starterQuery, collapsePrefixesOnLoad: true, editorHeight: "320px" },
      yasr: { prefixes: config.prefixes, defaultPlugin: "table" },
    });
    window.competencyKgEditor = instance;
    accessible(instance);
    return instance;
  }

  /* YASGUI's own markup, made accessible from outside (docs/accessibility.md): its "add tab"
   * button sits inside the tab list, where only tabs may be (ARIA tablist), so it moves just
   * after the list; and its fields without a label (the query editor's textarea, the endpoint
   * box, the results' page-size select, a tab's rename box) get one, including those YASGUI
   * draws later (new tabs, new results), which a MutationObserver catches. */
  function accessible(instance) {
    var LABELS = [
      [".yasqe .CodeMirror textarea", "SPARQL query"],
      [".yasr .CodeMirror textarea", "Response"],
      ["input.autocomplete", "SPARQL endpoint"],
      ["select.tableSizer", "Rows per page"],
      [".tabsList .tab input", "Tab name"],
    ];
    var root = instance.rootEl;
    var list = root.querySelector(".tabsList");
    var add = instance.tabElements && instance.tabElements.addTabEl;
    if (list && add && add.parentNode === list) {
      var bar = document.createElement("div");
      bar.className = "tab-bar";
      list.parentNode.insertBefore(bar, list);
      bar.appendChild(list);
      bar.appendChild(add);
      // new tabs go before addTabEl when it is in the list: now they go at its end
      instance.tabElements.addTabEl = undefined;
    }
    function label() {
      LABELS.forEach(function (pair) {
        Array.prototype.forEach.call(root.querySelectorAll(pair[0]), function (el) {
          if (!el.hasAttribute("aria-label") && !el.labels.length) {
            el.setAttribute("aria-label", pair[1]);
          }
        });
      });
    }
    label();
    new MutationObserver(label).observe(root, { childList: true, subtree: true });
  }

  /* This server's address of a data IRI (the same path under this origin), or null for an
   * IRI outside the data base, or one with a query (no page serves it). */
  function localHref(iri) {
    var base = config.dataBase;
    if (!base || typeof iri !== "string" || iri.indexOf(base) !== 0) return null;
    var rest = iri.slice(base.length);
    if (rest.indexOf("?") !== -1) return null;
    return new URL("/" + rest, window.location.origin).href;
  }

  function openExample(example) {
    if (!yasgui) {
      document.getElementById("plain-query").value = example.text;
      return;
    }
    var tab = null;
    Object.keys(yasgui._tabs).forEach(function (id) {
      var t = yasgui._tabs[id];
      if (t && t.getName && t.getName() === example.title) tab = t;
    });
    if (tab) {
      yasgui.selectTabId(tab.getId());
    } else {
      tab = yasgui.addTab(true, {
        name: example.title,
        yasqe: { value: example.text },
        requestConfig: { endpoint: endpoint },
      });
    }
    var yasqe = tab.getYasqe();
    if (yasqe.getValue() !== example.text) yasqe.setValue(example.text);
    yasqe.query().catch(function () {});
  }

  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (button) {
    button.addEventListener("click", function () {
      var example = examples[button.getAttribute("data-example")];
      if (example) openExample(example);
    });
  });

  // ---------------------------------------------------------------- full downloads
  var downloads = document.getElementById("downloads");
  var status = downloads.querySelector(".download-status");
  var GRAPH_FORMS = { CONSTRUCT: true, DESCRIBE: true };
  var EXTENSIONS = { csv: "csv", tsv: "tsv", json: "json", turtle: "ttl", ntriples: "nt", jsonld: "jsonld" };

  function currentQuery() {
    var tab = yasgui && yasgui.getTab();
    if (!tab) return null;
    var yasqe = tab.getYasqe();
    return { text: yasqe.getValue(), type: yasqe.getQueryType(), name: tab.getName() };
  }

  function fileName(name, format) {
    var stem = (name || "results").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    return (stem || "results") + "." + EXTENSIONS[format];
  }

  Array.prototype.forEach.call(downloads.querySelectorAll("button[data-format]"), function (button) {
    button.addEventListener("click", function () {
      var q = currentQuery();
      if (!q) return;
      var format = GRAPH_FORMS[q.type] ? button.getAttribute("data-graph-format") : button.getAttribute("data-format");
      status.textContent = "Running…";
      var body = new URLSearchParams();
      body.set("query", q.text);
      body.set("format", format);
      fetch(endpoint, { method: "POST", body: body })
        .then(function (resp) {
          if (!resp.ok) {
            return resp.text().then(function (msg) { throw new Error(resp.status + ": " + msg.trim()); });
          }
          return resp.blob();
        })
        .then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = fileName(q.name, format);
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
          status.textContent = "Saved " + link.download + ".";
        })
        .catch(function (err) { status.textContent = "The endpoint said " + err.message; });
    });
  });

  function relabel() {
    var q = currentQuery();
    var graph = q && GRAPH_FORMS[q.type];
    var labels = graph ? ["Turtle", "N-Triples", "JSON-LD"] : ["CSV", "TSV", "JSON"];
    Array.prototype.forEach.call(downloads.querySelectorAll("button[data-format]"), function (b, i) {
      b.textContent = labels[i];
    });
  }
  if (yasgui) {
    yasgui.on("tabSelect", function () { setTimeout(relabel, 0); });
    yasgui.on("query", relabel);
    relabel();
  }
})();
