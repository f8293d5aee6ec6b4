// Students page after Back: the browser restores what the filter form held (the search
// box's text, the chosen filters) but the page came from a GET and lists everyone. When a
// field no longer shows its server-rendered value, ask again through the form, so the box
// and the list agree (issue 14, item 7). Pages restored whole from the back/forward cache
// already agree and are left alone.
(function () {
  "use strict";
  function restored(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.tagName === "SELECT") {
        var initial = 0;
        Array.prototype.forEach.call(el.options, function (o, i) { if (o.defaultSelected) initial = i; });
        return el.selectedIndex !== initial;
      }
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") return false;
      return typeof el.defaultValue === "string" && el.value !== el.defaultValue;
    });
  }
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) return;
    var form = document.getElementById("filter-form");
    if (form && window.htmx && restored(form)) window.htmx.trigger(form, "submit");
  });
})();
