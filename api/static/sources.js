// Curator actions on the sources page: load, replace and delete sources through /api/sources with a
// bearer token kept in sessionStorage (this tab only). A refused load shows its validation report.
(function () {
  "use strict";
  const root = document.querySelector("[data-curator]");
  if (!root) return;
  root.hidden = false;
  const KEY = "agora-token";
  const FLASH = "agora-flash";
  const tokenInput = document.getElementById("token");
  const tokenState = document.getElementById("token-state");
  const status = document.getElementById("curator-status");
  const reportBox = document.getElementById("curator-report");
  const flash = document.getElementById("flash");

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function showToken() {
    const has = !!sessionStorage.getItem(KEY);
    tokenState.textContent = has ? "A token is set for this tab." : "No token set.";
    document.querySelectorAll("[data-delete], [data-harvest], [data-rollback]").forEach(function (b) { b.hidden = !has; });
  }
  tokenInput.value = sessionStorage.getItem(KEY) || "";
  showToken();
  const pending = sessionStorage.getItem(FLASH);
  if (pending) { flash.textContent = pending; flash.hidden = false; sessionStorage.removeItem(FLASH); }

  document.getElementById("token-form").addEventListener("submit", function (e) {
    e.preventDefault();
    const v = tokenInput.value.trim();
    if (v) sessionStorage.setItem(KEY, v); else sessionStorage.removeItem(KEY);
    showToken();
  });
  document.getElementById("forget-token").addEventListener("click", function () {
    sessionStorage.removeItem(KEY);
    tokenInput.value = "";
    showToken();
  });

  async function call(method, url, body) {
    const headers = { Accept: "application/json" };
    const t = sessionStorage.getItem(KEY);
    if (t) headers.Authorization = "Bearer " + t;
    const res = await fetch(url, { method: method, headers: headers, body: body });
    let data = null;
    try { data = await res.json(); } catch (e) { /* empty or not JSON */ }
    return { status: res.status, ok: res.ok, data: data || {} };
  }

  function say(text, kind) {
    status.replaceChildren(el("p", { class: kind === "error" ? "alert" : "ok" }, text));
  }

  function renderReport(report) {
    reportBox.replaceChildren();
    if (!report) return;
    const c = report.counts || {};
    reportBox.appendChild(el("h3", {}, "Validation report: " + (c.violations || 0) + " violation(s), " +
      (c.warnings || 0) + " warning(s)"));
    const groups = new Map();
    (report.results || []).forEach(function (r) {
      const key = r.severity + "|" + r.message + "|" + (r.path || "");
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(r);
    });
    const order = { Violation: 0, Warning: 1, Info: 2 };
    [...groups.entries()].sort(function (a, b) {
      return (order[a[1][0].severity] - order[b[1][0].severity]) || (b[1].length - a[1].length);
    }).forEach(function ([, items]) {
      const first = items[0];
      const d = el("details", { class: "shape-group sev-" + first.severity.toLowerCase() });
      if (first.severity === "Violation") d.open = true;
      const s = el("summary");
      s.appendChild(el("span", { class: "sev-tag" }, first.severity));
      s.appendChild(document.createTextNode(" " + first.message + " "));
      s.appendChild(el("span", { class: "count" }, String(items.length)));
      d.appendChild(s);
      const ul = el("ul", { class: "focus-list" });
      items.slice(0, 100).forEach(function (r) {
        ul.appendChild(el("li", {}, r.focusNode + (r.path ? "  " + r.path : "") + (r.value ? "  = " + r.value : "")));
      });
      d.appendChild(ul);
      reportBox.appendChild(d);
    });
  }

  function problem(res) {
    const d = res.data;
    return res.status + ": " + (d.message || d.detail || "the request failed");
  }

  document.getElementById("load-form").addEventListener("submit", async function (e) {
    e.preventDefault();
    const name = document.getElementById("src-name").value.trim();
    const file = document.getElementById("src-file").files[0];
    if (!name || !file) { say("Give a source name and choose a file.", "error"); return; }
    const params = new URLSearchParams();
    if (document.getElementById("src-replace").checked) params.set("replace", "true");
    const profile = document.getElementById("src-profile").value;
    if (profile) params.set("profile", profile);
    const fd = new FormData();
    fd.append("file", file, file.name);
    say("Loading " + file.name + " into " + name + "…");
    reportBox.replaceChildren();
    const res = await call("POST", "/api/sources/" + encodeURIComponent(name) + "?" + params, fd);
    if (res.ok) {
      sessionStorage.setItem(FLASH, "Loaded " + name + ": " + res.data.triples + " triples" +
        (res.data.replaced_version ? " (replaced version " + res.data.replaced_version + ")" : "") + ".");
      location.reload();
    } else {
      say(res.status === 422 ? "The load was refused: the data breaks the shapes. " + (res.data.message || "")
                             : problem(res), "error");
      renderReport(res.data.report);
    }
  });

  document.querySelectorAll("[data-harvest]").forEach(function (button) {
    button.addEventListener("click", async function () {
      const name = button.dataset.harvest;
      button.disabled = true;
      say("Harvesting " + name + "…");
      let res = await call("POST", "/api/harvest/sources/" + encodeURIComponent(name) + "/run");
      while (res.ok && res.data.status === "running") {
        say("Harvesting " + name + ": " + (res.data.pages || 0) + " page(s), " + (res.data.records || 0) + " records…");
        await new Promise(function (r) { setTimeout(r, 700); });
        res = await call("GET", "/api/harvest/runs/" + encodeURIComponent(res.data.id));
      }
      button.disabled = false;
      if (res.ok && res.data.status === "ok") {
        const d = res.data;
        sessionStorage.setItem(FLASH, "Harvested " + name + ": " + d.records + " records, " + d.rejected +
          " rejected; " + d.added + " added, " + d.changed + " changed, " + d.removed + " removed.");
        location.reload();
      } else {
        say(res.ok ? "The harvest of " + name + " failed: " + res.data.error : problem(res), "error");
      }
    });
  });

  document.querySelectorAll("[data-rollback]").forEach(function (button) {
    button.addEventListener("click", async function () {
      const name = button.dataset.rollback;
      if (!window.confirm("Make the previous version of " + name + " current again?")) return;
      const res = await call("POST", "/api/sources/" + encodeURIComponent(name) + "/rollback");
      if (res.ok) {
        sessionStorage.setItem(FLASH, "Rolled " + name + " back to version " + res.data.version + ".");
        location.reload();
      } else {
        say(problem(res), "error");
      }
    });
  });

  document.querySelectorAll("[data-delete]").forEach(function (button) {
    button.addEventListener("click", async function () {
      const name = button.dataset.delete;
      if (!window.confirm("Delete the source " + name + " with its history?")) return;
      const res = await call("DELETE", "/api/sources/" + encodeURIComponent(name));
      if (res.ok) {
        sessionStorage.setItem(FLASH, "Deleted " + name + ".");
        location.reload();
      } else {
        say(problem(res), "error");
      }
    });
  });
})();
