// The one modal: filled by htmx, opened when content arrives, closed by a server event.
(function () {
  "use strict";
  const modal = () => document.getElementById("modal");

  // After settling, not swapping: by then htmx has wired the new content's own triggers.
  document.addEventListener("htmx:afterSettle", (event) => {
    const dialog = modal();
    if (dialog && event.detail.target === dialog && !dialog.open) {
      dialog.showModal();
    }
  });

  document.addEventListener("closeModal", () => {
    const dialog = modal();
    if (dialog && dialog.open) {
      dialog.close();
    }
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-modal]")) {
      event.preventDefault();
      modal()?.close();
    }
  });

  // Close the team switcher when clicking elsewhere.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.switcher[open]").forEach((menu) => {
      if (!menu.contains(event.target)) {
        menu.removeAttribute("open");
      }
    });
  });
})();
