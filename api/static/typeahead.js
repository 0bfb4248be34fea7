// Type-ahead for search boxes marked data-typeahead: the WAI-ARIA 1.2 combobox pattern with a list box
// of suggestions from /api/suggest (dataset titles, organisations, cities, concepts). Without this
// script the box is a plain search form; with it, Down/Up move through the suggestions, Enter opens
// the chosen one (or searches when none is chosen), Escape closes the list (a second Escape clears).
(function () {
  "use strict";
  const KINDS = { dataset: "Dataset", organisation: "Organisation", city: "City", concept: "Concept" };

  function setup(form) {
    const input = form.querySelector("input[type=search]");
    const list = form.querySelector("[role=listbox]");
    const status = form.querySelector("[data-typeahead-status]");
    if (!input || !list) return;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    let items = [];
    let active = -1;
    let timer = null;
    let pending = null;
    let lastQuery = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(i) {
      const opts = list.querySelectorAll("[role=option]");
      opts.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && opts[i]) {
        input.setAttribute("aria-activedescendant", opts[i].id);
        opts[i].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function go(i) {
      if (items[i]) window.location.href = items[i].href;
    }

    function show(data) {
      items = data.suggestions || [];
      list.replaceChildren();
      items.forEach(function (s, i) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = list.id + "-" + i;
        li.setAttribute("aria-selected", "false");
        li.dataset.kind = s.kind;
        const label = document.createElement("span");
        label.className = "s-label";
        if (s.lang) label.lang = s.lang;
        label.textContent = s.label;
        const kind = document.createElement("span");
        kind.className = "s-kind";
        kind.textContent = (KINDS[s.kind] || s.kind) + (s.kind === "city" && s.detail ? " · " + s.detail : "");
        li.append(label, " ", kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });  // keep focus in the box
        li.addEventListener("click", function () { go(i); });
        list.appendChild(li);
      });
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      if (status) {
        status.textContent = items.length ? items.length + " suggestion" + (items.length === 1 ? "" : "s") +
          " available; use the up and down arrow keys to choose." : "";
      }
    }

    async function fetchSuggestions() {
      const q = input.value;
      if (q.trim().length < 2) { items = []; close(); lastQuery = q; return; }
      if (q === lastQuery && items.length) { show({ suggestions: items }); return; }
      lastQuery = q;
      if (pending) pending.abort();
      pending = new AbortController();
      try {
        const r = await fetch("/api/suggest?limit=8&q=" + encodeURIComponent(q),
                              { signal: pending.signal, headers: { Accept: "application/json" } });
        if (!r.ok) return;
        const data = await r.json();
        if (input.value === q) show(data);
      } catch (e) {
        if (e.name !== "AbortError") close();
      }
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 120);
    });
    input.addEventListener("keydown", function (e) {
      const open = !list.hidden && items.length > 0;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { if (items.length) { show({ suggestions: items }); choose(0); } else fetchSuggestions(); return; }
        choose(active + 1 >= items.length ? 0 : active + 1);
      } else if (e.key === "ArrowUp") {
        if (!open) return;
        e.preventDefault();
        choose(active <= 0 ? items.length - 1 : active - 1);
      } else if (e.key === "Enter") {
        if (open && active >= 0) { e.preventDefault(); go(active); }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); } else if (input.value) { e.preventDefault(); input.value = ""; }
      } else if (e.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  document.querySelectorAll("form[data-typeahead]").forEach(setup);
})();
