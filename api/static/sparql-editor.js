// The SPARQL editor: syntax highlighting through a <pre> mirror under a transparent textarea, and
// results fetched from /sparql and drawn as a table. Without this script the form still works: it
// submits to /sparql-ui, which renders the results on the server.
(function () {
  "use strict";
  const form = document.getElementById("sparql-form");
  const area = document.getElementById("query");
  const mirror = document.getElementById("query-hl");
  const results = document.getElementById("results");
  if (!form || !area || !mirror || !results) return;
  const editor = area.closest(".editor");
  const prefixes = JSON.parse(editor.dataset.prefixes || "{}");

  const KEYWORDS = "SELECT|CONSTRUCT|DESCRIBE|ASK|WHERE|PREFIX|BASE|FILTER|OPTIONAL|UNION|MINUS|GRAPH|SERVICE|" +
    "BIND|VALUES|GROUP|BY|ORDER|ASC|DESC|LIMIT|OFFSET|DISTINCT|REDUCED|HAVING|AS|FROM|NAMED|NOT|EXISTS|IN|" +
    "INSERT|DELETE|DATA|WITH|USING|LOAD|CLEAR|DROP|CREATE|COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT|" +
    "SEPARATOR|LANG|LANGMATCHES|DATATYPE|STR|IRI|URI|REGEX|CONTAINS|STRSTARTS|STRENDS|LCASE|UCASE|BOUND|IF|" +
    "COALESCE|UNDEF|isIRI|isBlank|isLiteral|true|false|a";
  // One pass, leftmost match wins: comments, strings, IRIs, variables, prefixed names, keywords, numbers.
  const TOKEN = new RegExp(
    "(#[^\\n]*)|(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')" +
    "|(<[^<>\"{}|^`\\\\\\s]*>)|([?$][\\w\\u00C0-\\uFFFF]+)|((?:[A-Za-z][\\w.-]*)?:[\\w.-]*)" +
    "|\\b(" + KEYWORDS + ")\\b|(\\b\\d+(?:\\.\\d+)?\\b)", "gi");
  const CLASSES = [null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname", "tok-kw", "tok-num"];

  function esc(s) {
    return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    let out = "", last = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(text)) !== null) {
      if (m[0] === "") { TOKEN.lastIndex++; continue; }
      out += esc(text.slice(last, m.index));
      let cls = null;
      for (let i = 1; i < CLASSES.length; i++) if (m[i] !== undefined) { cls = CLASSES[i]; break; }
      out += '<span class="' + cls + '">' + esc(m[0]) + "</span>";
      last = TOKEN.lastIndex;
    }
    out += esc(text.slice(last));
    return out + (text.endsWith("\n") ? " " : "");
  }

  function refresh() {
    mirror.innerHTML = highlight(area.value);
    const enc = encodeURIComponent(area.value);
    document.querySelectorAll("[data-download]").forEach(function (a) {
      const fmt = new URL(a.href, location.href).searchParams.get("format");
      a.href = "/sparql?query=" + enc + "&format=" + fmt;
    });
  }
  function sync() { mirror.parentElement.scrollTop = area.scrollTop; mirror.parentElement.scrollLeft = area.scrollLeft; }

  editor.classList.add("hl-on");
  area.addEventListener("input", refresh);
  area.addEventListener("scroll", sync);
  area.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  });
  refresh();

  function compact(iri) {
    let best = "";
    let name = "";
    for (const [p, ns] of Object.entries(prefixes)) {
      if (iri.startsWith(ns) && ns.length > best.length) { best = ns; name = p; }
    }
    return best ? name + ":" + iri.slice(best.length) : iri;
  }

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function cell(term) {
    const td = el("td");
    if (!term) return td;
    if (term.type === "uri") {
      td.appendChild(el("a", { href: "/resource?iri=" + encodeURIComponent(term.value), title: term.value }, compact(term.value)));
    } else if (term.type === "bnode") {
      td.appendChild(el("span", { class: "muted" }, "_:" + term.value));
    } else {
      const span = el("span", term["xml:lang"] ? { lang: term["xml:lang"] } : {}, term.value);
      td.appendChild(span);
      const badge = term["xml:lang"] || (term.datatype ? compact(term.datatype) : "");
      if (badge) { td.appendChild(document.createTextNode(" ")); td.appendChild(el("span", { class: term["xml:lang"] ? "badge" : "badge dt" }, badge)); }
    }
    return td;
  }

  function show(node) { results.replaceChildren(node); }

  function table(data) {
    const wrap = el("div");
    const rows = data.results.bindings;
    wrap.appendChild(el("p", { role: "status", class: "status" }, rows.length + " row(s)" + (rows.length > 1000 ? " (first 1,000 shown)" : "")));
    const scroll = el("div", { class: "scroll" });
    const t = el("table", { class: "results" });
    const head = el("tr");
    data.head.vars.forEach(function (v) { head.appendChild(el("th", { scope: "col" }, "?" + v)); });
    t.appendChild(el("thead")).appendChild(head);
    const body = el("tbody");
    rows.slice(0, 1000).forEach(function (b) {
      const tr = el("tr");
      data.head.vars.forEach(function (v) { tr.appendChild(cell(b[v])); });
      body.appendChild(tr);
    });
    t.appendChild(body);
    scroll.appendChild(t);
    wrap.appendChild(scroll);
    return wrap;
  }

  async function run() {
    const button = document.getElementById("run");
    button.disabled = true;
    show(el("p", { class: "muted", role: "status" }, "Running…"));
    try {
      const res = await fetch("/sparql", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
        body: new URLSearchParams({ query: area.value }),
      });
      const type = res.headers.get("content-type") || "";
      if (!res.ok) {
        let msg = res.status + " " + res.statusText;
        try { const j = await res.json(); msg = j.message || msg; } catch (e) { /* not JSON */ }
        show(el("p", { class: "alert", role: "alert" }, msg));
      } else if (type.includes("json")) {
        const data = await res.json();
        if ("boolean" in data) show(el("p", { class: "boolean", role: "status" }, "Answer: " + (data.boolean ? "yes" : "no")));
        else show(table(data));
      } else {
        show(el("pre", { class: "graph-result" }, await res.text()));
      }
      history.replaceState(null, "", "/query?query=" + encodeURIComponent(area.value));
    } catch (e) {
      show(el("p", { class: "alert", role: "alert" }, "The server could not be reached: " + e));
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
})();
