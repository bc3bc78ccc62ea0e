// Loaded in <head> without defer, so these listeners are in place before any button can be
// pressed: with site.js (deferred) a click during a slow page load sent a data-confirm form
// without asking. Both only listen on the document, which exists this early.

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
