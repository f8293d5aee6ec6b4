// Layout helpers for narrow screens and paper (issue 14, item 6). A static file because the
// Content-Security-Policy allows no inline script.
//
// 1. The main navigation collapses behind a "Menu" button below the desktop width
//    (app.css, "Header"). Without this script the button stays hidden and the links wrap.
// 2. A wide table scrolls sideways inside its own box rather than widening the page. The box
//    is a labelled region that takes keyboard focus only while it scrolls, so keyboard users
//    can scroll it (WCAG 2.1.1; axe's scrollable-region-focusable).
// 3. Printing opens every <details> without a form in it, so a printed record or agenda shows what the screen folds.
(function () {
  "use strict";
  var script = document.currentScript;
  var tableLabel = (script && script.getAttribute("data-table-label")) || "Table";

  function setUpMenu() {
    var button = document.querySelector(".menu-toggle");
    if (!button) return;
    var nav = button.closest("nav");
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav || !menu) return;
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.setAttribute("data-menu", open ? "open" : "closed");
    }
    setOpen(false);
    button.hidden = false;
    button.addEventListener("click", function () {
      setOpen(button.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true" && button.offsetParent) {
        setOpen(false);
        button.focus();
      }
    });
  }

  function labelFor(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    if (table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    // The nearest heading before the table names what it lists.
    var node = table.closest(".table-scroll") || table;
    while (node && node !== document.body) {
      var sibling = node.previousElementSibling;
      while (sibling) {
        if (/^H[1-6]$/.test(sibling.tagName)) return sibling.textContent.trim();
        var inner = sibling.querySelectorAll ? sibling.querySelectorAll("h1, h2, h3, h4, h5, h6") : [];
        if (inner.length) return inner[inner.length - 1].textContent.trim();
        sibling = sibling.previousElementSibling;
      }
      node = node.parentElement;
    }
    return tableLabel;
  }

  var boxes = [];

  function wrapTables(root) {
    Array.prototype.forEach.call(root.querySelectorAll("main table"), function (table) {
      var box = table.parentElement;
      if (!box.classList.contains("table-scroll")) {
        if (box.classList.contains("overflow-auto") && box.children.length === 1) {
          box.classList.add("table-scroll");
        } else {
          box = document.createElement("div");
          box.className = "table-scroll";
          table.parentNode.insertBefore(box, table);
          box.appendChild(table);
        }
      }
      if (!box.hasAttribute("role")) {
        box.setAttribute("role", "region");
        // "<what it lists>, table": distinct from the section the heading may already name.
        var label = labelFor(table);
        box.setAttribute("aria-label", label === tableLabel ? label : label + ", " + tableLabel.toLowerCase());
      }
      if (boxes.indexOf(box) === -1) boxes.push(box);
    });
    updateFocusable();
  }

  function updateFocusable() {
    boxes = boxes.filter(function (box) { return box.isConnected; });
    boxes.forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) box.setAttribute("tabindex", "0");
      else box.removeAttribute("tabindex");
    });
  }

  var reopen = [];
  window.addEventListener("beforeprint", function () {
    reopen = Array.prototype.filter.call(document.querySelectorAll("main details:not([open])"), function (d) {
      if (d.querySelector("form")) return false; // a folded form is screen-only (app.css hides it)
      d.open = true;
      return true;
    });
  });
  window.addEventListener("afterprint", function () {
    reopen.forEach(function (d) { d.open = false; });
    reopen = [];
  });

  function start() {
    setUpMenu();
    wrapTables(document);
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) window.cancelAnimationFrame(pending);
      pending = window.requestAnimationFrame(updateFocusable);
    });
    // Tables htmx swaps in (the students list, suggestions) get the same box.
    document.body.addEventListener("htmx:afterSettle", function () {
      wrapTables(document);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
