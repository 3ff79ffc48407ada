// The one modal: filled by htmx, opened when content arrives, closed by a server event.
// And feedback for every form: the button pressed shows progress while the server works, a form
// is never sent twice, and a request that fails says so where the user is looking.
(function () {
  "use strict";
  const modal = () => document.getElementById("modal");

  // After settling, not swapping: by then htmx has wired the new content's own triggers. An
  // answer to the modal's own form (its element swapped away) that comes after the user closed
  // the modal stays closed.
  document.addEventListener("htmx:afterSettle", (event) => {
    const dialog = modal();
    if (
      dialog &&
      event.detail.target === dialog &&
      !dialog.open &&
      event.detail.requestConfig?.elt.isConnected !== false
    ) {
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

  // Progress: the button that sent the request spins until the answer is in. (The form's
  // hx-disabled-elt disables its buttons meanwhile, and a modal form drops a second submit.)
  const submitterOf = (detail) => {
    const submitter = detail.requestConfig?.triggeringEvent?.submitter;
    if (submitter) {
      return submitter;
    }
    return detail.elt.matches("button") ? detail.elt : null;
  };
  document.addEventListener("htmx:beforeRequest", (event) => {
    submitterOf(event.detail)?.classList.add("is-busy");
    clearRequestError(event.detail.elt);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    submitterOf(event.detail)?.classList.remove("is-busy");
  });

  // Forms without htmx (creating an application, logging in) are sent once: a second submit
  // while the first is on its way is ignored. Their buttons stay enabled, so the pressed one is
  // still sent with the form; coming back to the page (the back button) makes them usable again.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented) {
      return; // htmx sends this one
    }
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "true";
    event.submitter?.classList.add("is-busy");
  });
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-sending]").forEach((form) => {
      delete form.dataset.sending;
      form.querySelectorAll(".is-busy").forEach((button) => button.classList.remove("is-busy"));
    });
  });

  // Failures. htmx swaps nothing on an error answer, so what was typed stays where it was; the
  // error is shown in the open modal the request came from, else at the top of the page. The
  // error pages' own heading and sentence say what happened (403, 404, an expired form, 500).
  const KEPT = "What you typed is still here.";
  const FALLBACK = "Something went wrong. Try again in a moment.";
  const UNREACHABLE = `The server could not be reached: check your connection, then try again. ${KEPT}`;

  const placeFor = (elt) => {
    const dialog = modal();
    if (dialog && dialog.open && dialog.contains(elt)) {
      return dialog.querySelector(".modal-content") || dialog;
    }
    return document.querySelector("main.page");
  };

  function clearRequestError(elt) {
    placeFor(elt)?.querySelector("[data-request-error]")?.remove();
  }

  const explain = (xhr) => {
    const page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
    const heading = page.querySelector("[data-testid=error-page] h1")?.textContent.trim();
    const message = page.querySelector("[data-testid=error-page] .muted")?.textContent.trim();
    return heading && message ? `${heading}. ${message}` : FALLBACK;
  };

  const showRequestError = (elt, text) => {
    const place = placeFor(elt);
    if (!place) {
      return;
    }
    clearRequestError(elt);
    const alert = document.createElement("div");
    alert.className = "alert error";
    alert.setAttribute("role", "alert");
    alert.dataset.requestError = "";
    alert.dataset.testid = "request-error";
    alert.textContent = text;
    const head = place.querySelector(".modal-head");
    if (head) {
      head.after(alert);
    } else {
      place.prepend(alert);
    }
    alert.scrollIntoView({ block: "nearest" });
  };

  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    const retry = xhr.status >= 500 ? ` ${KEPT}` : "";
    showRequestError(event.detail.elt, explain(xhr) + retry);
  });
  document.addEventListener("htmx:sendError", (event) => {
    showRequestError(event.detail.elt, UNREACHABLE);
  });
})();
