"""URLs of the database's Network tab (network exposure), mounted under t/<team>/."""

urlpatterns: list = []
