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

// Live Markdown preview: the server renders and cleans exactly as on the case page.
(function () {
  var form = document.getElementById("case-form");
  if (!form) return;
  var token = form.querySelector("input[name=csrf_token]");
  document.querySelectorAll("[data-preview-for]").forEach(function (box) {
    var source = document.getElementById(box.getAttribute("data-preview-for"));
    var target = box.querySelector(".preview-body");
    var timer = null;
    function render() {
      if (!box.open) return;
      var body = new FormData();
      body.append("text", source.value);
      if (token) body.append("csrf_token", token.value);
      fetch("/cases/preview", { method: "POST", body: body, credentials: "same-origin",
                                headers: token ? { "X-CSRFToken": token.value } : {} })
        .then(function (r) { return r.ok ? r.json() : { html: "" }; })
        .then(function (data) { target.innerHTML = data.html; });
    }
    box.addEventListener("toggle", render);
    source.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
  });
})();

// Search suggestions as you type (titles, themes, organizations).
(function () {
  var labels = { theme: "主题", "case": "案例", organization: "单位" };
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var box = document.createElement("ul");
    box.className = "suggest-box";
    box.hidden = true;
    box.setAttribute("role", "listbox");
    input.parentNode.style.position = "relative";
    input.parentNode.appendChild(box);
    input.setAttribute("aria-autocomplete", "list");
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var text = input.value.trim();
      if (!text) { box.hidden = true; return; }
      timer = setTimeout(function () {
        fetch("/search/suggest?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) {
            box.innerHTML = "";
            data.suggestions.forEach(function (s) {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = s.url;
              a.textContent = s.label;
              var kind = document.createElement("span");
              kind.className = "kind";
              kind.textContent = labels[s.type] || "";
              a.appendChild(kind);
              li.appendChild(a);
              box.appendChild(li);
            });
            box.hidden = data.suggestions.length === 0;
          });
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { box.hidden = true; }
      if (e.key === "ArrowDown" && !box.hidden) { var first = box.querySelector("a"); if (first) { e.preventDefault(); first.focus(); } }
    });
    document.addEventListener("click", function (e) { if (!box.contains(e.target) && e.target !== input) box.hidden = true; });
  });
})();
