// Small screens (issue 12 §3). The layout itself is in site.css ("Small screens" block); this file only
// opens and closes things. Without it, everything stays reachable: the header shows all its parts and
// the filter panels are <details> elements.

// Header on a phone: the search box and the menu (navigation + user menu) open under the top row.
// One at a time; Escape or a click outside closes, and the focus goes back to the button.
(function () {
  var header = document.querySelector(".site-header");
  if (!header) return;
  var buttons = header.querySelectorAll("[data-header-toggle]");
  if (!buttons.length) return;

  function opened() { return header.getAttribute("data-open") || ""; }

  function buttonFor(name) { return header.querySelector('[data-header-toggle="' + name + '"]'); }

  function setOpen(name) {
    if (name) header.setAttribute("data-open", name); else header.removeAttribute("data-open");
    buttons.forEach(function (b) {
      b.setAttribute("aria-expanded", b.getAttribute("data-header-toggle") === name ? "true" : "false");
    });
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-header-toggle");
      if (opened() === name) { setOpen(""); return; }
      setOpen(name);
      if (name === "search") {
        var input = document.getElementById(button.getAttribute("aria-controls")).querySelector("input[name=q]");
        if (input) input.focus();
      }
    });
  });

  // After the type-ahead's own handler: its first Escape closes the suggestion list (defaultPrevented).
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || e.defaultPrevented || !opened()) return;
    var button = buttonFor(opened());
    var focusInside = header.contains(document.activeElement);
    setOpen("");
    if (button && focusInside) button.focus();
  });

  document.addEventListener("click", function (e) {
    if (opened() && !header.contains(e.target)) setOpen("");
  });

  // Back on a wide screen the header shows everything anyway: forget what was open.
  var narrow = window.matchMedia("(max-width: 760px)");
  function reset() { if (!narrow.matches) setOpen(""); }
  if (narrow.addEventListener) narrow.addEventListener("change", reset); else narrow.addListener(reset);
})();

// Filter panels (<details class="filter-toggle">): open beside the results on a wide screen, folded
// behind their "筛选" button when the results come first. CSS shows them on wide screens too, where the
// browser can style the inside of a closed <details>; this is for browsers that cannot.
(function () {
  var panels = document.querySelectorAll("details.filter-toggle");
  if (!panels.length) return;
  var wide = window.matchMedia("(min-width: 1001px)");
  function sync() { panels.forEach(function (d) { d.open = wide.matches; }); }
  sync();
  if (wide.addEventListener) wide.addEventListener("change", sync); else wide.addListener(sync);
})();
