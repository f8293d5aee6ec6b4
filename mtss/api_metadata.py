"""What the API answers to OPTIONS."""

from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    """Name, description and formats; no per-method field listing.

    DRF's default describes the writable fields of PUT/POST by building the view's
    object and serializer, which a view without a queryset (the meeting decision)
    cannot do: OPTIONS answered 500. The OpenAPI schema (/api/schema/) is where the
    fields are described.
    """

    def determine_metadata(self, request, view):
        metadata = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        return metadata

    def determine_actions(self, request, view):
        return {}
