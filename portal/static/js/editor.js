// Markdown editor (portal.editor): a toolbar above every textarea marked data-markdown-editor.
// Progressive enhancement: without this file the textarea works as before. Every text shown comes
// from the server-rendered <template id="md-editor-template"> (translated there).
(function () {
  "use strict";
  var template = document.getElementById("md-editor-template");
  if (!template || !("content" in template)) return;
  var T = template.dataset;

  function lineStart(value, pos) { return value.lastIndexOf("\n", pos - 1) + 1; }
  function lineEnd(value, pos) { var i = value.indexOf("\n", pos); return i === -1 ? value.length : i; }

  // Put `text` in place of value[start, end) the way typing would, so that Ctrl+Z undoes it,
  // then select [selStart, selEnd) of the new value. The textarea keeps the focus.
  function replace(textarea, start, end, text, selStart, selEnd) {
    textarea.focus();
    textarea.setSelectionRange(start, end);
    var done = false;
    try {
      done = document.execCommand(text ? "insertText" : "delete", false, text);
    } catch (e) {
      done = false;
    }
    if (!done) {
      textarea.setRangeText(text, start, end, "end");
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    textarea.setSelectionRange(selStart, selEnd);
  }

  // Inline marks: **bold** and *italic*. Pressing again on marked text removes the marks.
  function stars(text, fromEnd) {
    var found = text.match(fromEnd ? /\*+$/ : /^\*+/);
    return found ? found[0].length : 0;
  }
  function marked(count, size) { return size === 2 ? count >= 2 : count % 2 === 1; }

  function wrap(textarea, marker, placeholder) {
    var value = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd, m = marker.length;
    var selected = value.slice(s, e);
    if (s < e && marked(stars(value.slice(0, s), true), m) && marked(stars(value.slice(e), false), m)) {
      replace(textarea, s - m, e + m, selected, s - m, e - m);
      return;
    }
    if (selected.length > 2 * m && marked(stars(selected, false), m) && marked(stars(selected, true), m)) {
      var inner = selected.slice(m, selected.length - m);
      replace(textarea, s, e, inner, s, s + inner.length);
      return;
    }
    if (!selected.trim()) {
      replace(textarea, s, e, marker + placeholder + marker, s + m, s + m + placeholder.length);
      return;
    }
    // Marks hug the words: spaces stay outside, and each line is marked on its own.
    var text = selected.split("\n").map(function (line) {
      return line.replace(/^(\s*)(.*?)(\s*)$/, function (all, lead, core, trail) {
        return core ? lead + marker + core + marker + trail : all;
      });
    }).join("\n");
    if (selected.indexOf("\n") === -1) {
      var lead = selected.match(/^\s*/)[0].length, core = selected.trim().length;
      replace(textarea, s, e, text, s + lead + m, s + lead + m + core);
    } else {
      replace(textarea, s, e, text, s, s + text.length);
    }
  }

  // Line marks: headings, lists and quotes. Pressing again on marked lines removes the marks.
  var LINE_MARKS = {
    heading: { test: /^#{1,6}\s+/, make: function () { return "### "; }, placeholder: "headingText" },
    ul: { test: /^[-*+]\s+/, make: function () { return "- "; }, placeholder: "listText" },
    ol: { test: /^\d+[.)]\s+/, make: function (n) { return n + ". "; }, placeholder: "listText" },
    quote: { test: /^>\s?/, make: function () { return "> "; }, placeholder: "quoteText" }
  };
  var OTHER_MARK = /^(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)/;

  // Lists, quotes, tables and images need an empty line between them and a paragraph,
  // or Markdown runs them into it. A neighbouring line of the same kind continues the block.
  function spacing(value, start, end, sameKind) {
    var before = "", after = "";
    if (start > 0) {
      var previous = value.slice(lineStart(value, start - 1), start - 1);
      if (previous.trim() && !(sameKind && sameKind.test(previous))) before = "\n";
    }
    if (end < value.length) {
      var next = value.slice(end + 1, lineEnd(value, end + 1));
      if (next.trim() && !(sameKind && sameKind.test(next))) after = "\n";
    }
    return { before: before, after: after };
  }

  function markLines(textarea, kind) {
    var spec = LINE_MARKS[kind], value = textarea.value;
    var s = textarea.selectionStart, e = textarea.selectionEnd;
    var start = lineStart(value, s);
    var end = lineEnd(value, e > s && value.charAt(e - 1) === "\n" ? e - 1 : e);
    var lines = value.slice(start, end).split("\n");
    var filled = lines.filter(function (line) { return line.trim(); });
    var removing = filled.length > 0 && filled.every(function (line) { return spec.test.test(line); });
    var number = 1;
    if (kind === "ol" && start > 0) {
      var previous = value.slice(lineStart(value, start - 1), start - 1).match(/^(\d+)[.)]\s/);
      if (previous) number = parseInt(previous[1], 10) + 1;
    }
    var placeholder = "";
    var out = lines.map(function (line) {
      if (removing) return line.replace(spec.test, "");
      if (!line.trim()) return line;
      return spec.make(number++) + (kind === "quote" ? line : line.replace(OTHER_MARK, ""));
    });
    if (!removing && !filled.length) {
      placeholder = T[spec.placeholder];
      out = [spec.make(number) + placeholder];
    }
    var block = out.join("\n");
    var pad = removing ? { before: "", after: "" } : spacing(value, start, end, spec.test);
    var blockStart = start + pad.before.length, a, b;
    if (placeholder) {
      b = blockStart + block.length;
      a = b - placeholder.length;
    } else if (s === e && lines.length === 1) {  // the caret stays where it was in the line
      a = b = Math.max(blockStart, s + pad.before.length + block.length - (end - start));
    } else {
      a = blockStart;
      b = blockStart + block.length;
    }
    replace(textarea, start, end, pad.before + block + pad.after, a, b);
  }

  // A block of its own (table, image): after the current line, with empty lines around it.
  function insertBlock(textarea, block, selectFrom, selectLength) {
    var value = textarea.value;
    var start = lineStart(value, textarea.selectionStart), end = lineEnd(value, textarea.selectionEnd);
    if (value.slice(start, end).trim()) start = end;
    var before = "";
    if (start > 0 && value.charAt(start - 1) !== "\n") before = "\n\n";
    else if (start > 0 && value.slice(lineStart(value, start - 1), start - 1).trim()) before = "\n";
    var after = spacing(value, start, end, null).after;
    var at = start + before.length + selectFrom;
    replace(textarea, start, end, before + block + after, at, at + selectLength);
  }

  function link(textarea) {
    var value = textarea.value, s = textarea.selectionStart, e = textarea.selectionEnd;
    var selected = value.slice(s, e).trim();
    var isAddress = /^(https?:\/\/|mailto:)\S+$/.test(selected);
    var label = selected && !isAddress ? selected : T.linkText;
    var address = isAddress ? selected : "https://";
    var text = "[" + label + "](" + address + ")";
    if (selected && !isAddress) {  // the words are there: select the address to type over
      replace(textarea, s, e, text, s + label.length + 3, s + label.length + 3 + address.length);
    } else {
      replace(textarea, s, e, text, s + 1, s + 1 + label.length);
    }
  }

  function table(textarea) {
    var block = T.tableText;
    var first = block.split("|")[1].trim();
    insertBlock(textarea, block, block.indexOf(first), first.length);
  }

  function image(textarea, picture) {
    var alt = picture.name.replace(/\.[^.]+$/, "").replace(/[[\]]/g, "") || picture.name;
    insertBlock(textarea, "![" + alt + "](" + picture.url + ")", 2, alt.length);
  }

  // One editor per textarea ------------------------------------------------------------------

  function images(textarea) {
    var holder = textarea.closest("[data-markdown-images], [data-markdown-images-after-save]");
    if (!holder) return null;
    if (!holder.hasAttribute("data-markdown-images")) return { later: true, list: [] };
    try {
      return { later: false, list: JSON.parse(holder.getAttribute("data-markdown-images")) || [] };
    } catch (e) {
      return { later: false, list: [] };
    }
  }

  function setUp(textarea, index) {
    var parts = template.content.cloneNode(true);
    var toolbar = parts.querySelector(".md-toolbar");
    var panel = parts.querySelector(".md-image-menu");
    var preview = parts.querySelector(".md-preview-pane");
    var previewBody = preview.querySelector(".md-preview-body");
    var toggle = toolbar.querySelector('[data-md="preview"]');
    var imageButton = toolbar.querySelector('[data-md="image"]');
    var key = textarea.id || "md-editor-" + index;
    var pictures = images(textarea);
    var previewing = false, requests = 0;

    // This script is deferred, so the writer may already be typing in the box. Moving it into
    // the wrapper takes the focus away; give it back with the caret where it was, or the next
    // keys typed go nowhere.
    var typing = document.activeElement === textarea;
    var caret = [textarea.selectionStart, textarea.selectionEnd, textarea.selectionDirection];
    var wrapper = document.createElement("div");
    wrapper.className = "md-editor";
    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.appendChild(toolbar);
    wrapper.appendChild(panel);
    wrapper.appendChild(textarea);
    wrapper.appendChild(preview);
    if (typing) {
      textarea.focus();
      textarea.setSelectionRange(caret[0], caret[1], caret[2]);
    }
    preview.id = key + "-preview";
    toggle.setAttribute("aria-controls", preview.id);

    if (pictures) {
      panel.id = key + "-images";
      imageButton.setAttribute("aria-controls", panel.id);
    } else {
      imageButton.remove();
      panel.remove();
    }

    // The toolbar is one tab stop; the arrow keys move between its buttons.
    function buttons() {
      return Array.prototype.filter.call(toolbar.querySelectorAll("button"), function (b) { return !b.disabled; });
    }
    function makeTabStop(button) {
      toolbar.querySelectorAll("button").forEach(function (b) { b.tabIndex = b === button ? 0 : -1; });
    }
    makeTabStop(buttons()[0]);
    toolbar.addEventListener("focusin", function (event) {
      if (event.target.tagName === "BUTTON") makeTabStop(event.target);
    });
    toolbar.addEventListener("keydown", function (event) {
      var list = buttons(), i = list.indexOf(document.activeElement), target = null;
      if (i === -1) return;
      if (event.key === "ArrowRight") target = list[(i + 1) % list.length];
      else if (event.key === "ArrowLeft") target = list[(i - 1 + list.length) % list.length];
      else if (event.key === "Home") target = list[0];
      else if (event.key === "End") target = list[list.length - 1];
      if (target) {
        event.preventDefault();
        target.focus();
      }
    });

    function closePanel(focusButton) {
      if (!pictures || panel.hidden) return;
      panel.hidden = true;
      imageButton.setAttribute("aria-expanded", "false");
      if (focusButton) imageButton.focus();
    }
    function openPanel() {
      var list = panel.querySelector(".md-image-list"), none = panel.querySelector(".md-image-none");
      list.textContent = "";
      pictures.list.forEach(function (picture) {
        var item = document.createElement("li");
        var choose = document.createElement("button");
        choose.type = "button";
        choose.className = "md-image-choice";
        var thumb = document.createElement("img");
        thumb.src = picture.url;
        thumb.alt = "";
        var name = document.createElement("span");
        name.textContent = picture.name;
        choose.appendChild(thumb);
        choose.appendChild(name);
        choose.addEventListener("click", function () {
          closePanel(false);
          image(textarea, picture);
        });
        item.appendChild(choose);
        list.appendChild(item);
      });
      none.hidden = pictures.list.length > 0;
      none.textContent = pictures.later ? T.saveFirst : T.noImages;
      panel.querySelector(".md-image-menu-title").hidden = !pictures.list.length;
      panel.hidden = false;
      imageButton.setAttribute("aria-expanded", "true");
      var first = list.querySelector("button");
      if (first) first.focus();
    }
    if (pictures) {
      panel.addEventListener("keydown", function (event) {
        if (event.key === "Escape") {
          event.preventDefault();
          closePanel(true);
        }
      });
    }

    function showMessage(text) {
      var note = document.createElement("p");
      note.className = "muted";
      note.textContent = text;
      previewBody.textContent = "";
      previewBody.appendChild(note);
    }
    function render() {
      var text = textarea.value;
      var mine = ++requests;
      if (!text.trim()) {
        showMessage(T.previewEmpty);
        return;
      }
      showMessage(T.previewLoading);
      var body = new FormData();
      body.append("text", text);
      body.append("csrf_token", T.csrf);
      fetch(T.previewUrl, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": T.csrf }
      }).then(function (response) {
        var isJson = (response.headers.get("Content-Type") || "").indexOf("application/json") !== -1;
        if (!isJson) throw new Error(response.redirected ? T.previewLogin : T.previewFailed);
        return response.json().then(function (data) {
          if (!response.ok) throw new Error((data.error && data.error.message) || T.previewFailed);
          return data;
        });
      }).then(function (data) {
        if (mine === requests) previewBody.innerHTML = data.html;  // cleaned by the server's allow-list
      }).catch(function (error) {
        if (mine === requests) showMessage(error && error.message ? error.message : T.previewFailed);
      });
    }
    function setPreview(on) {
      if (on === previewing) return;
      previewing = on;
      closePanel(false);
      if (on) preview.style.minHeight = textarea.offsetHeight + "px";
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toolbar.querySelectorAll("button").forEach(function (b) { if (b !== toggle) b.disabled = on; });
      textarea.hidden = on;
      preview.hidden = !on;
      if (on) {
        makeTabStop(toggle);
        render();
      } else {
        textarea.focus();
      }
    }
    // A browser check (e.g. required) must be able to show the textarea.
    textarea.addEventListener("invalid", function () { setPreview(false); });

    function run(action) {
      if (action === "bold") wrap(textarea, "**", T.boldText);
      else if (action === "italic") wrap(textarea, "*", T.italicText);
      else if (action === "link") link(textarea);
      else if (action === "table") table(textarea);
      else if (LINE_MARKS[action]) markLines(textarea, action);
    }
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-md]");
      if (!button || button.disabled) return;
      var action = button.getAttribute("data-md");
      if (action === "preview") setPreview(!previewing);
      else if (action === "image") {
        if (panel.hidden) openPanel(); else closePanel(true);
      } else {
        closePanel(false);
        run(action);
      }
    });
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
      var letter = event.key.toLowerCase();
      if (letter === "b" || letter === "i") {
        event.preventDefault();
        run(letter === "b" ? "bold" : "italic");
      }
    });
  }

  document.querySelectorAll("textarea[data-markdown-editor]").forEach(setUp);
})();
