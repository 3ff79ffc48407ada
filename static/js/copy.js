// Copy buttons: <button data-copy="#id"> copies the text of that element exactly as the page
// shows it. A masked view copies its masks: no secret is ever in the page until revealed.
(function () {
  "use strict";

  async function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    // Plain HTTP on a network address has no Clipboard API: copy a selection instead.
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.append(area);
    area.select();
    const copied = document.execCommand("copy");
    area.remove();
    if (!copied) {
      throw new Error("The browser refused to copy.");
    }
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    const source = button && document.querySelector(button.dataset.copy);
    if (!source) {
      return;
    }
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    try {
      await copy(source.textContent);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select the text to copy it";
    }
    window.setTimeout(() => {
      button.textContent = label;
    }, 2000);
  });
})();
