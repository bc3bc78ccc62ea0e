// Loaded in <head> without defer, so these listeners are in place before any button can be
// pressed: with site.js (deferred) a click during a slow page load sent a data-confirm form
// without asking, and a tap on the phone header's buttons did nothing. All of them listen on the
// document, which exists this early, and look up what they act on when the event comes.

// Ask before destructive actions: forms marked data-confirm.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// Print buttons (no inline handlers: the CSP forbids them).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) {
    window.print();
  }
});

// Header on a phone (issue 12 §3; css "Small screens"): the search box and the menu (navigation +
// user menu) open under the top row behind the buttons marked data-header-toggle, which show from
// the first paint. One at a time; Escape or a click outside closes, and the focus goes back to the
// button. Without JavaScript the header shows all its parts.
(function () {
  function headerOf(node) { return node && node.closest ? node.closest(".site-header") : null; }

  function opened(header) { return header.getAttribute("data-open") || ""; }

  function setOpen(header, name) {
    if (name) header.setAttribute("data-open", name); else header.removeAttribute("data-open");
    header.querySelectorAll("[data-header-toggle]").forEach(function (b) {
      b.setAttribute("aria-expanded", b.getAttribute("data-header-toggle") === name ? "true" : "false");
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-header-toggle]");
    var header = headerOf(button);
    if (header) {
      var name = button.getAttribute("data-header-toggle");
      if (opened(header) === name) { setOpen(header, ""); return; }
      setOpen(header, name);
      if (name === "search") {
        var input = document.getElementById(button.getAttribute("aria-controls")).querySelector("input[name=q]");
        if (input) input.focus();
      }
      return;
    }
    var open = document.querySelector(".site-header[data-open]");
    if (open && !open.contains(event.target)) setOpen(open, "");
  });

  // A document listener runs after the type-ahead's own (on its input): its first Escape closes the
  // suggestion list (defaultPrevented), the next one the panel.
  document.addEventListener("keydown", function (event) {
    var header = document.querySelector(".site-header[data-open]");
    if (event.key !== "Escape" || event.defaultPrevented || !header) return;
    var button = header.querySelector('[data-header-toggle="' + opened(header) + '"]');
    var focusInside = header.contains(document.activeElement);
    setOpen(header, "");
    if (button && focusInside) button.focus();
  });

  // Back on a wide screen the header shows everything anyway: forget what was open.
  var narrow = window.matchMedia("(max-width: 760px)");
  function reset() {
    var header = document.querySelector(".site-header[data-open]");
    if (header && !narrow.matches) setOpen(header, "");
  }
  if (narrow.addEventListener) narrow.addEventListener("change", reset); else narrow.addListener(reset);
})();
