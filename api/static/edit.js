// The edit form works as a plain form POST. This only saves typing: the write token entered on the
// sources page (kept in this tab's session storage) fills the token field, and a token typed here is
// kept for the tab in the same way.
(function () {
  "use strict";
  const KEY = "agora-token";
  const form = document.getElementById("edit-form");
  const token = document.getElementById("edit-token");
  if (!form || !token) return;
  try {
    if (!token.value && sessionStorage.getItem(KEY)) token.value = sessionStorage.getItem(KEY);
    form.addEventListener("submit", function () {
      if (token.value.trim()) sessionStorage.setItem(KEY, token.value.trim());
    });
  } catch (e) { /* storage unavailable: the field still works */ }
})();
