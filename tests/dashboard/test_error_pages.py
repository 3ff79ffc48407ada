"""With DEBUG off (as the suite runs), errors get the product's own pages, which say what
happened in words and give no detail: no path, no exception, no stack."""

import pytest
from django.test import Client
from django.urls import include, path, reverse


def _boom(request):
    raise RuntimeError("secret detail from deep inside")


urlpatterns = [path("boom/", _boom), path("", include("dashboard.urls"))]


def _page(response):
    content = response.content.decode()
    assert 'data-testid="error-page"' in content
    assert "css/app.css" in content
    return content


def test_debug_is_off(settings):
    assert settings.DEBUG is False


def test_404_is_the_products_page_without_the_path(developer_client):
    response = developer_client.get("/t/acme/apps/no-such-app-zz/")
    assert response.status_code == 404
    content = _page(response)
    assert "Page not found" in content
    assert "no-such-app-zz" not in content


def test_404_for_someone_not_logged_in(client, db):
    response = client.get("/nowhere-at-all/")
    assert response.status_code == 404
    assert "nowhere-at-all" not in _page(response)


def test_403_is_the_products_page(viewer_client, make_application):
    app = make_application(slug="shop")
    response = viewer_client.get(reverse("variable_add", args=["acme", app.slug]))
    assert response.status_code == 403
    assert "Not allowed" in _page(response)


def test_csrf_failure_is_the_products_page(developer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(developer)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    assert "This form has expired" in _page(response)


def test_400_is_the_products_page(developer_client, make_application):
    app = make_application(slug="shop")
    url = reverse("variable_add", args=["acme", app.slug])
    response = developer_client.post(url, {"value": "x" * 300_000})
    assert response.status_code == 400
    assert "Bad request" in _page(response)


@pytest.mark.urls(__name__)
def test_500_is_the_products_page_without_the_exception(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    content = _page(response)
    assert "Something went wrong" in content
    assert "secret detail" not in content
    assert "RuntimeError" not in content
