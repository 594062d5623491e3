// What was typed into a form is kept in this tab until the form succeeds, so a refusal never loses it:
// the error page links back with ?retry=<the form's action>, and the form is filled in again.
(function () {
  function kept(form) { return "form:" + form.getAttribute("action"); }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if ((form.getAttribute("method") || "").toLowerCase() !== "post" || form.elements.namedItem("confirmed")) return;
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || ["hidden", "file", "password", "submit"].indexOf(el.type) >= 0) return;
      values[el.name] = el.type === "checkbox" ? el.checked : el.value;
    });
    try { sessionStorage.setItem(kept(form), JSON.stringify(values)); } catch (e) { /* private mode */ }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var action = new URLSearchParams(location.search).get("retry");
    if (!action) return;
    var form = Array.prototype.find.call(document.forms, function (f) { return f.getAttribute("action") === action; });
    var saved = form && sessionStorage.getItem(kept(form));
    if (!saved) return;
    var values = JSON.parse(saved);
    Object.keys(values).forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (!el || el.length !== undefined && el.tagName !== "SELECT") return;
      if (el.type === "checkbox") el.checked = values[name]; else el.value = values[name];
    });
    var details = form.closest("details");
    if (details) details.open = true;
    form.scrollIntoView();
    var first = form.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
  });
})();
