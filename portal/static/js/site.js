// Search suggestions as you type (themes, cases, units): an ARIA combobox. The list is markup
// from the suggest_input macro, right under the input; focus stays in the input and the active
// option is named by aria-activedescendant.
(function () {
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var box = document.getElementById(input.getAttribute("aria-controls"));
    if (!box) return;
    var endpoint = input.getAttribute("data-suggest") || "/search/suggest";
    var timer = null;
    var asked = 0;  // number of the latest request: older answers arriving late are dropped
    var active = -1;

    function options() { return box.querySelectorAll("[role=option]"); }

    function setActive(index) {
      var all = options();
      active = index;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      setActive(-1);
    }

    function open() {
      if (!options().length) return;
      // A list wider than its box (the header's) grows towards the side of the screen with room.
      var rect = input.getBoundingClientRect();
      box.classList.toggle("grow-left", rect.left + rect.width / 2 > window.innerWidth / 2);
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function show(suggestions) {
      box.textContent = "";
      suggestions.forEach(function (s, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "none");
        var a = document.createElement("a");
        a.id = box.id + "-" + i;
        a.href = s.url;
        a.tabIndex = -1;
        a.setAttribute("role", "option");
        a.setAttribute("aria-selected", "false");
        a.className = "suggest-" + s.type;
        var label = document.createElement("span");
        label.className = "label";
        label.textContent = s.label;
        var kind = document.createElement("span");
        kind.className = "kind";
        // data-kind-theme, data-kind-case, data-kind-organization: translated by the page
        kind.textContent = input.getAttribute("data-kind-" + s.type) || "";
        a.appendChild(label);
        a.appendChild(kind);
        li.appendChild(a);
        box.appendChild(li);
      });
      setActive(-1);
      if (suggestions.length && document.activeElement === input) open(); else close();
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      asked += 1;
      setActive(-1);
      var text = input.value.trim();
      if (!text) { box.textContent = ""; close(); return; }
      var number = asked;
      timer = setTimeout(function () {
        fetch(endpoint + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (data) { if (number === asked) show(data.suggestions || []); })
          .catch(function () { if (number === asked) show([]); });
      }, 200);
    });

    input.addEventListener("keydown", function (e) {
      if (e.isComposing || e.keyCode === 229) return;  // keys for the input method (pinyin), not for the list
      var count = options().length;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (!count || !input.value.trim()) return;
        e.preventDefault();
        if (box.hidden) { open(); setActive(e.key === "ArrowDown" ? 0 : count - 1); return; }
        if (e.key === "ArrowDown") setActive(active + 1 < count ? active + 1 : 0);
        else setActive(active > 0 ? active - 1 : count - 1);
      } else if (e.key === "Enter") {
        if (!box.hidden && active >= 0) {
          e.preventDefault();
          window.location.assign(options()[active].href);
        }
        // no active option: the form is submitted as usual
      } else if (e.key === "Escape") {
        if (!box.hidden) { e.preventDefault(); close(); }  // the first Escape closes; the next goes on to the page (the phone header's panel closes)
      }
    });

    input.addEventListener("blur", close);
    window.addEventListener("pageshow", close);  // back from a suggestion: no stale list
    // Keep the focus in the input while an option is clicked, so blur does not close the list first.
    box.addEventListener("mousedown", function (e) { e.preventDefault(); });
  });
})();

// Copy buttons: data-copy names the element whose text is copied. Hidden without JavaScript
// (the text can still be selected by hand); the label confirms the copy for a moment.
(function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute("data-copied") || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });
})();

// Countdowns (calls for cases): data-countdown holds the UTC deadline. Without JavaScript the
// page shows the deadline itself; with it, the days, hours and minutes left, every minute.
(function () {
  document.querySelectorAll("[data-countdown]").forEach(function (box) {
    var end = Date.parse(box.getAttribute("data-countdown"));
    var value = box.querySelector(".countdown-value"), label = box.querySelector(".countdown-label");
    if (isNaN(end) || !value) return;
    if (label) label.textContent = box.getAttribute("data-label") + " ";
    var lang = document.documentElement.lang || "zh";
    function tick() {
      var left = Math.floor((end - Date.now()) / 60000);
      if (left < 0) { box.textContent = box.getAttribute("data-over"); return; }
      var d = Math.floor(left / 1440), h = Math.floor(left % 1440 / 60), m = left % 60;
      value.textContent = lang.indexOf("zh") === 0 ? d + " 天 " + h + " 小时 " + m + " 分"
                                                   : d + " d " + h + " h " + m + " min";
      setTimeout(tick, 60000 - Date.now() % 60000);
    }
    tick();
  });
})();
