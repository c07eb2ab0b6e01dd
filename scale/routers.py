"""The router every app registers its viewsets on: DRF's simple routes, with no format suffixes or API root."""

from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    # One row's URL is named `<basename>-details`, as the URLs were before viewsets (metrics labels use the name).
    routes = [
        route._replace(name='{basename}-details') if route.name == '{basename}-detail' else route
        for route in SimpleRouter.routes
    ]
