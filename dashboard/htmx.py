"""Answering htmx and plain requests alike, so every page works with and without JavaScript.

A modal is filled by htmx into the one ``<dialog>`` of the base template, or shown as a page of
its own; success closes it with an ``HX-Trigger`` event the lists listen for, or redirects.
htmx response headers are set through ``django_htmx.http``.
"""

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event


def render_modal(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """A modal's content for htmx, or the same content as a full page without JavaScript.

    Modal templates extend ``base_template``."""
    base = "modal_base.html" if request.htmx else "base.html"
    return render(request, template, {"base_template": base, **context})


def close_modal(request: HttpRequest, page: str, *events: str) -> HttpResponse:
    """Close the modal and tell the lists listening for ``events`` to refresh; or go to ``page``."""
    if not request.htmx:
        return redirect(page)
    response = HttpResponse(status=204)
    for event in ("closeModal", *events):
        trigger_client_event(response, event)
    return response


def go_to(request: HttpRequest, page: str) -> HttpResponse:
    """Send the browser to ``page``, the whole window even from inside a modal."""
    if request.htmx:
        return HttpResponseClientRedirect(page)
    return redirect(page)


def render_page(
    request: HttpRequest,
    template: str,
    fragments: tuple[str, ...],
    context: dict,
    shared: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A full page, or only the fragment htmx asked to refresh.

    The fragment is the named partial whose name is the id htmx targets (else the first of
    ``fragments``); ``shared`` maps other ids to templates of their own.
    """
    if request.htmx and not request.htmx.boosted:
        target = request.htmx.target
        if shared and target in shared:
            template = shared[target]
        elif fragments:
            template = f"{template}#{target if target in fragments else fragments[0]}"
    return render(request, template, context)
