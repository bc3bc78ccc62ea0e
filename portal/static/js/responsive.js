// Small screens (issue 12 §3). The layout itself is in site.css ("Small screens" block); this file only
// opens and closes things. Without it, everything stays reachable: the filter panels are <details>
// elements.

// The phone header's buttons are handled in early.js, loaded before the page: a tap must work at once.

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
