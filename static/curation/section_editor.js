/*
 * The section editor (templates/curation/widgets/section_body.html): under each section body, a
 * citation chooser that finds claims by key or statement and inserts [[key]] at the cursor, and
 * a preview of the section shown in place. Without this script the chooser stays hidden (the
 * editor types [[key]]) and "Preview section" opens the preview in a new tab.
 *
 * Events are handled on the document, so sections added with "Add another section" work too;
 * the admin renumbers a new section's ids, and each handler reads them afresh.
 */
"use strict";

(function () {
  const SEARCH_DELAY = 200; // ms after the last keystroke

  function partsOf(element) {
    const editor = element.closest(".section-editor");
    const parts = {
      editor: editor,
      textarea: editor.querySelector("textarea"),
      chooser: editor.querySelector(".claim-chooser"),
      input: editor.querySelector(".claim-chooser input"),
      list: editor.querySelector(".claim-choices"),
      status: editor.querySelector(".chooser-status"),
      preview: editor.querySelector(".section-preview"),
      previewStatus: editor.querySelector(".preview-status"),
    };
    // The admin renumbers the ids of sections added or removed on the page, but not the ARIA
    // attributes naming them.
    parts.input.setAttribute("aria-controls", parts.list.id);
    parts.input.setAttribute("aria-describedby", parts.input.id + "_help");
    return parts;
  }

  function show(root) {
    root.querySelectorAll(".section-editor").forEach(function (editor) {
      partsOf(editor).chooser.hidden = false;
    });
  }

  // The chooser ---------------------------------------------------------------------------------

  function options(parts) {
    return Array.from(parts.list.querySelectorAll("[role=option]"));
  }

  function close(parts) {
    parts.list.hidden = true;
    parts.list.replaceChildren();
    parts.input.setAttribute("aria-expanded", "false");
    parts.input.removeAttribute("aria-activedescendant");
  }

  function activate(parts, index) {
    const all = options(parts);
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index < 0 || index >= all.length) {
      parts.input.removeAttribute("aria-activedescendant");
      return;
    }
    parts.input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(parts) {
    return options(parts).findIndex(function (option) {
      return option.getAttribute("aria-selected") === "true";
    });
  }

  async function search(parts) {
    const query = parts.input.value.trim();
    const controller = new AbortController();
    if (parts.input.pending) {
      parts.input.pending.abort();
    }
    parts.input.pending = controller;
    if (!query) {
      close(parts);
      parts.status.textContent = "";
      return;
    }
    let html;
    try {
      const url = parts.input.dataset.url + "?" + new URLSearchParams({ q: query });
      const response = await fetch(url, {
        signal: controller.signal,
        credentials: "same-origin",
      });
      if (!response.ok) {
        throw new Error(response.statusText);
      }
      html = await response.text();
    } catch (error) {
      if (error.name !== "AbortError") {
        parts.status.textContent = "The search failed: try again, or type [[key]] in the text.";
      }
      return;
    }
    // The answer's sentence goes to the live region, its options into the list.
    const answer = document.createElement("template");
    answer.innerHTML = html;
    const found = answer.content.querySelectorAll("[role=option]");
    found.forEach(function (option, i) {
      option.id = parts.list.id + "-" + i;
    });
    parts.list.replaceChildren(...found);
    parts.list.hidden = found.length === 0;
    parts.input.setAttribute("aria-expanded", found.length ? "true" : "false");
    parts.input.removeAttribute("aria-activedescendant");
    const count = answer.content.querySelector(".chooser-count");
    parts.status.textContent = count ? count.textContent : "";
  }

  function insert(parts, option) {
    const key = option.dataset.key;
    const textarea = parts.textarea;
    const citation = "[[" + key + "]]";
    // The textarea keeps its selection while the search box has the focus.
    textarea.setRangeText(citation, textarea.selectionStart, textarea.selectionEnd, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    close(parts);
    parts.input.value = "";
    parts.status.textContent = "Cited " + key + " as " + citation + ".";
    textarea.focus();
  }

  document.addEventListener("input", function (event) {
    if (!event.target.matches(".claim-chooser input")) {
      return;
    }
    const parts = partsOf(event.target);
    clearTimeout(parts.input.timer);
    parts.input.timer = setTimeout(function () {
      search(parts);
    }, SEARCH_DELAY);
  });

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches(".claim-chooser input")) {
      return;
    }
    const parts = partsOf(event.target);
    const all = options(parts);
    const index = activeIndex(parts);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!all.length) {
        return;
      }
      const step = event.key === "ArrowDown" ? 1 : -1;
      activate(parts, (index + step + all.length) % all.length);
    } else if (event.key === "Enter") {
      // Never submits the briefing's form from the search box.
      event.preventDefault();
      if (all.length) {
        insert(parts, all[Math.max(index, 0)]);
      }
    } else if (event.key === "Escape" && !parts.list.hidden) {
      event.preventDefault();
      close(parts);
    }
  });

  // A click on an option: on mousedown, before the search box loses the focus.
  document.addEventListener("mousedown", function (event) {
    const option = event.target.closest(".claim-choices [role=option]");
    if (option) {
      event.preventDefault();
      insert(partsOf(option), option);
    }
  });

  document.addEventListener("focusout", function (event) {
    if (event.target.matches(".claim-chooser input")) {
      close(partsOf(event.target));
    }
  });

  // The preview ---------------------------------------------------------------------------------

  async function preview(parts, button) {
    const form = button.form;
    const prefix = parts.textarea.name.replace(/-body$/, "");
    const title = form.elements.namedItem(prefix + "-title");
    const data = new FormData();
    data.append("csrfmiddlewaretoken", form.elements.namedItem("csrfmiddlewaretoken").value);
    data.append("_preview", prefix);
    data.append("_fragment", "1");
    data.append(prefix + "-title", title ? title.value : "");
    data.append(prefix + "-body", parts.textarea.value);
    parts.previewStatus.textContent = "Rendering the preview…";
    let response;
    try {
      response = await fetch(button.formAction, {
        method: "POST",
        body: data,
        credentials: "same-origin",
      });
    } catch (error) {
      parts.previewStatus.textContent = "The preview failed: try again.";
      return;
    }
    if (!response.ok && response.status !== 400) {
      parts.previewStatus.textContent = "The preview failed: try again.";
      return;
    }
    // One preview at a time: each numbers its notes from 1, and their ids would clash.
    document.querySelectorAll(".section-preview").forEach(function (other) {
      if (other !== parts.preview) {
        other.hidden = true;
        other.replaceChildren();
      }
    });
    parts.preview.innerHTML = await response.text();
    parts.preview.hidden = false;
    const flags = parts.preview.querySelectorAll(".preview-flags li").length;
    const notes = parts.preview.querySelectorAll(".notes-list > li").length;
    parts.previewStatus.textContent = response.ok
      ? "Preview below: " +
        notes +
        (notes === 1 ? " note" : " notes") +
        (flags ? ", " + flags + (flags === 1 ? " citation" : " citations") + " not public" : "") +
        "."
      : "The preview is refused: see below.";
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".section-preview-button");
    if (button) {
      event.preventDefault();
      preview(partsOf(button), button);
    }
  });

  document.addEventListener("formset:added", function (event) {
    show(event.target);
  });

  // The admin loads its forms' scripts in the page's head, before the sections.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      show(document);
    });
  } else {
    show(document);
  }
})();
