/*
 * A source's admin page: "New claim from this passage". The link below the archived text
 * (curation/includes/source_passages.html) starts a claim from the source; selecting a passage
 * in the text makes it carry the passage too (?quote=), and the claim form fills in its
 * paragraph. Without script the link still starts a claim from the source.
 */
(() => {
  "use strict";

  // Servers refuse longer request lines (gunicorn's default limit is 4,094 bytes).
  const LONGEST_URL = 4000;

  function shorten(passage) {
    return passage.length > 90 ? `${passage.slice(0, 60)} … ${passage.slice(-25)}` : passage;
  }

  function offerPassages() {
    const link = document.querySelector("[data-passage-link]");
    if (!link) return;
    const text = document.getElementById(link.dataset.passageText);
    const status = document.querySelector("[data-passage-status]");
    const limit = Number(link.dataset.passageLimit);
    const plain = { href: link.href, label: link.textContent };

    function reset(note) {
      link.href = plain.href;
      link.textContent = plain.label;
      status.textContent = note;
    }

    document.addEventListener("selectionchange", () => {
      const selection = document.getSelection();
      if (!selection || !selection.rangeCount) return;
      // Only a selection in the text counts: clicking the link keeps the passage it carries.
      if (!text.contains(selection.getRangeAt(0).commonAncestorContainer)) return;
      const passage = selection.toString().replace(/\s+/g, " ").trim();
      if (!passage) {
        reset("");
        return;
      }
      const url = new URL(plain.href);
      url.searchParams.set("quote", passage);
      if (passage.length > limit || url.href.length > LONGEST_URL) {
        reset(
          `That passage is too long to carry (${passage.length.toLocaleString("en")} characters): ` +
            "start the claim from the source and paste it into the quote.",
        );
        return;
      }
      link.href = url.href;
      link.textContent = "New claim from this passage";
      status.textContent = `“${shorten(passage)}” (${passage.length.toLocaleString("en")} characters)`;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", offerPassages);
  } else {
    offerPassages();
  }
})();
