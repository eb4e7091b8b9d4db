"""Rows of one's own organisation only, for the admin of every model that belongs to one: the
list, the change and delete permissions and the history pages all see the same rows
(permissions.own_rows), so another organisation's row is, to a force's administrator, a row
that does not exist."""

from django.http import Http404

from .. import permissions


class OwnRowsOnly:
    """Mixed into a ModelAdmin: `organisation_path` leads from a row to its organisation
    ("plan__organisation", ...); empty, every row."""

    organisation_path = ""

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if not self.organisation_path:
            return rows
        return permissions.own_rows(request.user, rows, self.organisation_path)

    def _is_own(self, request, pk) -> bool:
        return not self.organisation_path or self.get_queryset(request).filter(pk=pk).exists()

    def _require_own(self, request, pk) -> None:
        if not self._is_own(request, pk):
            raise Http404("No such row.")

    def history_view(self, request, object_id, extra_context=None):
        self._require_own(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or self._is_own(request, obj.pk))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self._is_own(request, obj.pk))
