from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from dashboard import views

team_urls = [
    path("apps/", views.application_list, name="application_list"),
    path("apps/new/", views.application_create, name="application_create"),
    path("apps/<slug:app>/commands/", views.application_commands, name="application_commands"),
    path("databases/", views.database_list, name="database_list"),
    path("databases/new/", views.database_create, name="database_create"),
    path("databases/<slug:db>/activity/", views.database_activity, name="database_activity"),
    path("activity/", views.team_activity, name="team_activity"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("t/<slug:team>/", include(team_urls)),
    # Named by string: the project never imports the connections app.
    path("", include("connections.urls")),
    path("admin/", admin.site.urls),
]
