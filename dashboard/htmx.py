"""Answering htmx and plain requests alike, so every page works with and without JavaScript.

A modal is filled by htmx into the one ``<dialog>`` of the base template, or shown as a page of
its own; every modal goes through :func:`modal`. Success closes it with an ``HX-Trigger`` event
the lists listen for, or redirects. htmx response headers are set through ``django_htmx.http``.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from connections.errors import Refused
from dashboard.http import AuthedRequest, TeamRequest


def modal(
    request: TeamRequest,
    template: str,
    context: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    *,
    back: str,
    submit: Callable[[], HttpResponse | None],
    form: BaseForm | None = None,
) -> HttpResponse:
    """The modal flow. GET shows the modal; a POST, once ``form`` (if any) is valid, runs
    ``submit``: the domain call, answering what comes next (:func:`close_modal`, :func:`go_to`,
    :func:`show_result`), or None to show the modal again with what it added to the form or the
    context.

    A refusal is shown in place: on the form, next to the field it names or at its top; without a
    form, as ``refusal`` at the top of the modal. ``context`` is what the modal shows, or a
    function that computes it only when it is shown. ``back`` is the page beneath the modal,
    where its close and cancel links lead.
    """
    refusal = None
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            response = submit()
        except Refused as error:
            refusal = error
            if form is not None:
                field = error.field if error.field in form.fields else None
                form.add_error(field, str(error))
        else:
            if response is not None:
                return response
    shown = {"form": form, **(context() if callable(context) else context)}
    if refusal is not None:
        shown["refusal"] = refusal
    return render_modal(request, template, shown, back=back)


def render_modal(
    request: AuthedRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    back: str,
    post_url: str | None = None,
) -> HttpResponse:
    """A modal's content for htmx, or the same content as a full page without JavaScript.

    Modal templates extend ``modal_base.html``; their form posts to ``post_url``, the modal's own
    URL unless said otherwise."""
    return _render(request, template, context, back, post_url or request.path)


def show_result(
    request: AuthedRequest, template: str, context: Mapping[str, Any], *, back: str, event: str
) -> HttpResponse:
    """The modal again, saying what was done, with nothing left to submit; ``event`` tells the
    lists listening for it to refresh."""
    return trigger_client_event(_render(request, template, context, back, None), event)


def _render(
    request: AuthedRequest,
    template: str,
    context: Mapping[str, Any],
    back: str,
    post_url: str | None,
) -> HttpResponse:
    base = "modal_frame.html" if request.htmx else "base.html"
    return render(
        request,
        template,
        {"base_template": base, "back_url": back, "post_url": post_url, **context},
    )


def close_modal(request: AuthedRequest, page: str, *events: str) -> HttpResponse:
    """Close the modal and tell the lists listening for ``events`` to refresh; or go to ``page``."""
    if not request.htmx:
        return redirect(page)
    response = HttpResponse(status=204)
    for event in ("closeModal", *events):
        trigger_client_event(response, event)
    return response


def go_to(request: AuthedRequest, page: str) -> HttpResponse:
    """Send the browser to ``page``, the whole window even from inside a modal."""
    if request.htmx:
        return HttpResponseClientRedirect(page)
    return redirect(page)


def render_fragment(
    request: AuthedRequest,
    template: str,
    context: Mapping[str, Any],
    *,
    title: str,
    back: str,
) -> HttpResponse:
    """An answer htmx swaps into the page (``template`` names a partial); without JavaScript,
    the same fragment on a page of its own under ``title``, with the way back to ``back``."""
    if request.htmx:
        return render(request, template, context)
    page = {**context, "fragment": template, "title": title, "back_url": back}
    return render(request, "fragment_page.html", page)


def render_page(
    request: AuthedRequest,
    template: str,
    fragments: tuple[str, ...],
    context: dict[str, Any],
    shared: Mapping[str, str] | None = None,
) -> HttpResponse:
    """A full page, or only the fragment htmx asked to refresh.

    The fragment is the named partial whose name is the id htmx targets (else the first of
    ``fragments``); ``shared`` maps other ids to templates of their own.
    """
    if request.htmx and not request.htmx.boosted:
        target = request.htmx.target or ""
        if shared and target in shared:
            template = shared[target]
        elif fragments:
            template = f"{template}#{target if target in fragments else fragments[0]}"
    return render(request, template, context)
