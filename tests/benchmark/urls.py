"""The dashboard's URLs and, for the benchmark only, the ceiling view."""

from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ceiling(request: HttpRequest) -> HttpResponse:
    """What a request costs with one query and nothing else: the best this stack can do."""
    with connections["ceiling"].cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return HttpResponse(str(one), content_type="text/plain")


urlpatterns = [
    path("benchmark/ceiling", ceiling, name="benchmark_ceiling"),
    path("", include("dashboard.urls")),
]
