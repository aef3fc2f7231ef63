/* The query page of esgkg serve: named queries with their parameters, a SPARQL editor with
   light syntax highlighting (an overlay <pre> kept in sync with the textarea), results as a
   table. Plain JavaScript, no library; every text from the server is set with textContent. */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("page-config").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var editor = $("sparql");
  var highlightCode = $("highlight").firstElementChild;
  var queries = {};          // name -> query description from /api/queries
  var codeCache = {};        // scheme -> promise of codes
  var named = null;          // the named query open, or null for the user's own SPARQL
  var namedText = null;      // its text as loaded (editing it switches to own SPARQL)
  var running = null;        // AbortController of the request in flight

  /* ---- highlighting ---------------------------------------------------------------------- */
  var KEYWORDS = new Set(("select distinct reduced where filter optional union minus graph service bind " +
    "values as group by order asc desc limit offset having prefix base construct describe ask from named " +
    "not exists in a count sum min max avg sample group_concat separator str lang langmatches datatype " +
    "bound if coalesce regex contains strstarts strends strafter strbefore lcase ucase concat round " +
    "isiri isliteral isblank iri uri true false undef").split(" "));
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                          // 1 comment
    "(\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                             // 3 IRI
    "([?$][A-Za-z_]\\w*)",                                 // 4 variable
    "([A-Za-z][\\w-]*:(?:[\\w-](?:[\\w.-]*[\\w-])?)?)",       // 5 prefixed name
    "(\\b\\d+(?:\\.\\d+)?\\b)",                              // 6 number
    "([A-Za-z_]\\w*)"                                      // 7 word
  ].join("|"), "g");

  function esc(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    var out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      out += esc(text.slice(last, m.index));
      var cls = m[1] ? "c" : m[2] ? "s" : m[3] ? "i" : m[4] ? "v" : m[5] ? "p" : m[6] ? "n"
        : KEYWORDS.has(m[7].toLowerCase()) ? "k" : null;
      out += cls ? '<span class="hl-' + cls + '">' + esc(m[0]) + "</span>" : esc(m[0]);
      last = TOKEN.lastIndex;
    }
    return out + esc(text.slice(last)) + "\n";
  }

  function syncHighlight() {
    highlightCode.innerHTML = highlight(editor.value);  // every piece escaped by esc()
    syncScroll();
  }

  function syncScroll() {
    var pre = highlightCode.parentElement;
    pre.scrollTop = editor.scrollTop;
    pre.scrollLeft = editor.scrollLeft;
  }

  editor.addEventListener("input", function () {
    syncHighlight();
    if (named && editor.value !== namedText) { setOwnSparql(true); }
  });
  editor.addEventListener("scroll", syncScroll);

  /* ---- terms ------------------------------------------------------------------------------ */
  var prefixes = Object.keys(cfg.prefixes).map(function (p) { return [p, cfg.prefixes[p]]; })
    .sort(function (a, b) { return b[1].length - a[1].length; });

  function compact(iri) {
    for (var i = 0; i < prefixes.length; i++) {
      var p = prefixes[i];
      if (p[0] !== "id" && p[0] !== "vocab" && iri.indexOf(p[1]) === 0) {
        var rest = iri.slice(p[1].length);
        if (rest && rest.indexOf("/") < 0) { return p[0] + ":" + rest; }
      }
    }
    return iri.indexOf(cfg.base) === 0 ? iri.slice(cfg.base.length) : iri;
  }

  function hrefFor(iri) {
    if (iri.indexOf(cfg.base) === 0) { return "/" + iri.slice(cfg.base.length); }
    return /^https?:\/\//.test(iri) ? iri : null;
  }

  var NUMERIC = /#(integer|decimal|double|float|int|long|nonNegativeInteger|positiveInteger)$/;

  function cell(binding) {
    var td = document.createElement("td");
    if (!binding) { return td; }
    if (binding.type === "uri") {
      var href = hrefFor(binding.value);
      var node = document.createElement(href ? "a" : "span");
      if (href) { node.href = href; }
      node.title = binding.value;
      node.textContent = compact(binding.value);
      td.appendChild(node);
    } else {
      td.textContent = binding.value;
      if (binding.datatype && NUMERIC.test(binding.datatype)) { td.className = "num"; }
      if (binding["xml:lang"]) { td.title = "@" + binding["xml:lang"]; }
    }
    return td;
  }

  /* ---- results ------------------------------------------------------------------------------ */
  function showError(message) {
    var box = $("error");
    box.textContent = message;
    box.hidden = false;
  }

  function clearOutput() {
    $("error").hidden = true;
    $("error").textContent = "";
    $("results").textContent = "";
  }

  function renderTable(data) {
    var vars = data.head.vars || [];
    var rows = data.results.bindings;
    var table = document.createElement("table");
    table.className = "data";
    table.id = "results-table";
    var head = table.createTHead().insertRow();
    vars.forEach(function (v) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = v;
      head.appendChild(th);
    });
    var body = table.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      vars.forEach(function (v) { tr.appendChild(cell(row[v])); });
    });
    $("results").appendChild(table);
    return rows.length;
  }

  function renderText(text) {
    var pre = document.createElement("pre");
    pre.className = "graph-result";
    pre.textContent = text;
    $("results").appendChild(pre);
  }

  /* ---- requests ------------------------------------------------------------------------------ */
  function requestFor(format) {
    var report = $("report").value;
    if (named) {
      var params = new URLSearchParams();
      $("params").querySelectorAll("[data-param]").forEach(function (field) {
        if (field.value !== "") { params.set(field.dataset.param, field.value); }
      });
      if (report) { params.set("report", report); }
      if (format) { params.set("format", format); }
      var qs = params.toString();
      return { url: "/api/queries/" + encodeURIComponent(named.name) + (qs ? "?" + qs : ""), method: "GET" };
    }
    var form = new URLSearchParams();
    form.set("query", editor.value);
    if (format) { form.set("format", format); }
    return { url: "/sparql?" + form.toString(), method: "POST", body: form };
  }

  function updateDownloads() {
    $("dl-csv").href = requestFor("csv").url;
    $("dl-json").href = requestFor("json").url;
    $("downloads").hidden = false;
  }

  function run(event) {
    if (event) { event.preventDefault(); }
    if (running) { running.abort(); }
    clearOutput();
    var req = requestFor(null);
    var controller = new AbortController();
    running = controller;
    var started = performance.now();
    $("status").textContent = "Running…";
    $("run").disabled = true;
    var init = {
      method: req.method, signal: controller.signal,
      headers: { "Accept": "application/sparql-results+json, application/n-triples;q=0.9, text/plain;q=0.5" }
    };
    if (req.method === "POST") {
      init.body = req.body;
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    fetch(req.method === "POST" ? "/sparql" : req.url, init).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      if (!resp.ok) {
        return resp.text().then(function (text) {
          var message = text;
          try { message = JSON.parse(text).error || text; } catch (e) { /* not JSON: the text */ }
          throw new Error("Error " + resp.status + ": " + message);
        });
      }
      if (type.indexOf("json") >= 0 && type.indexOf("ld+json") < 0) {
        return resp.json().then(function (data) {
          var ms = Math.round(performance.now() - started);
          if (typeof data.boolean === "boolean") {
            renderText("ASK: " + data.boolean);
            $("status").textContent = "Answered in " + ms + " ms";
          } else {
            var n = renderTable(data);
            $("status").textContent = n + (n === 1 ? " row" : " rows") + " in " + ms + " ms";
          }
          updateDownloads();
        });
      }
      return resp.text().then(function (text) {
        renderText(text);
        $("status").textContent = "Graph result in " + Math.round(performance.now() - started) + " ms";
      });
    }).catch(function (err) {
      if (err.name === "AbortError") { return; }
      $("status").textContent = "";
      showError(err.message || String(err));
    }).finally(function () {
      if (running === controller) { running = null; $("run").disabled = false; }
    });
  }

  $("query-form").addEventListener("submit", run);
  editor.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { run(e); }
  });

  /* ---- named queries --------------------------------------------------------------------------- */
  function codes(scheme) {
    if (!codeCache[scheme]) {
      codeCache[scheme] = fetch("/api/codes/" + encodeURIComponent(scheme), {
        headers: { "Accept": "application/json" }
      }).then(function (r) {
        if (!r.ok) { throw new Error("codes of " + scheme + ": HTTP " + r.status); }
        return r.json();
      }).then(function (d) { return d.codes || []; });
    }
    return codeCache[scheme];
  }

  function paramField(p, initial) {
    var wrap = document.createElement("div");
    wrap.className = "param";
    var id = "param-" + p.name;
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = p.name + (p.optional ? " (optional)" : "");
    wrap.appendChild(label);
    var value = initial !== null && initial !== undefined ? initial : (p.optional ? "" : (p.default || ""));
    var field;
    if (p.scheme) {
      field = document.createElement("select");
      if (p.optional) { field.appendChild(new Option("(any)", "")); }
      if (value) { field.appendChild(new Option(value, value, true, true)); }
      codes(p.scheme).then(function (list) {
        var chosen = field.value;
        field.textContent = "";
        if (p.optional) { field.appendChild(new Option("(any)", "")); }
        list.forEach(function (c) {
          var text = c.label ? c.code + " — " + c.label : c.code;
          field.appendChild(new Option(text, c.code, false, c.code === chosen));
        });
        field.value = chosen;
        if (field.value !== chosen && chosen) { field.appendChild(new Option(chosen, chosen, true, true)); }
      }).catch(function (err) { showError(err.message); });
    } else {
      field = document.createElement("input");
      field.type = "text";
      field.value = value;
      if (p.type === "integer" || p.type === "decimal") { field.inputMode = "decimal"; }
    }
    field.id = id;
    field.dataset.param = p.name;
    wrap.appendChild(field);
    if (p.doc) {
      var doc = document.createElement("span");
      doc.className = "muted doc";
      doc.textContent = p.type + " — " + p.doc;
      wrap.appendChild(doc);
    }
    return wrap;
  }

  function setOwnSparql(edited) {
    named = null;
    namedText = null;
    $("named-panel").hidden = true;
    $("params").textContent = "";
    $("mode-note").textContent = edited
      ? "Edited: it now runs as your own SPARQL at /sparql (the parameters are no longer bound)."
      : $("mode-note").textContent;
    $("report").disabled = true;
    document.querySelectorAll("#named-list button.active").forEach(function (b) { b.classList.remove("active"); });
  }

  function openNamed(name, initial) {
    var q = queries[name];
    if (!q) { showError("No named query " + name); return; }
    named = q;
    namedText = null;
    clearOutput();
    $("named-title").textContent = q.title;
    $("named-desc").textContent = q.description;
    $("named-panel").hidden = false;
    $("mode-note").textContent = "A named query: its parameters are bound as RDF terms (" + q.name + ").";
    $("report").disabled = false;
    var params = $("params");
    params.textContent = "";
    (q.params || []).forEach(function (p) { params.appendChild(paramField(p, initial ? initial.get(p.name) : null)); });
    document.querySelectorAll("#named-list button").forEach(function (b) {
      b.classList.toggle("active", b.dataset.name === name);
    });
    history.replaceState(null, "", "?name=" + encodeURIComponent(name));
    fetch("/query/" + encodeURIComponent(name) + ".rq").then(function (r) {
      return r.ok ? r.text() : "# (the query text is not available)";
    }).then(function (text) {
      if (named === q) {
        namedText = text;
        editor.value = text;
        syncHighlight();
      }
    });
  }

  function renderList(filter) {
    var list = $("named-list");
    list.textContent = "";
    var words = filter.toLowerCase().split(/\s+/).filter(Boolean);
    Object.keys(queries).sort().forEach(function (name) {
      var q = queries[name];
      var hay = (q.name + " " + q.title + " " + q.description).toLowerCase();
      if (!words.every(function (w) { return hay.indexOf(w) >= 0; })) { return; }
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.dataset.name = name;
      button.textContent = q.title;
      button.title = q.description;
      if (named && named.name === name) { button.classList.add("active"); }
      button.addEventListener("click", function () { openNamed(name, null); });
      var small = document.createElement("code");
      small.textContent = name;
      li.appendChild(button);
      li.appendChild(small);
      list.appendChild(li);
    });
  }

  $("named-filter").addEventListener("input", function (e) { renderList(e.target.value); });

  fetch("/api/queries", { headers: { "Accept": "application/json" } }).then(function (r) {
    if (!r.ok) { throw new Error("the named queries could not be listed (HTTP " + r.status + ")"); }
    return r.json();
  }).then(function (data) {
    (data.queries || []).forEach(function (q) { queries[q.name] = q; });
    (data.reports || []).forEach(function (rep) {
      var key = typeof rep === "string" ? rep : (rep.key || rep.report || rep.name);
      if (key) { $("report").appendChild(new Option(key, key)); }
    });
    renderList("");
    var params = new URLSearchParams(location.search);
    if (params.get("name")) {
      openNamed(params.get("name"), params);
      if (params.get("report")) { $("report").value = params.get("report"); }
    }
  }).catch(function (err) {
    $("named-list").textContent = "";
    showError(err.message);
  });

  $("report").disabled = true;
  syncHighlight();
}());
