"""Saved views of the order list: a named filter, its columns and its sort, private or shared with a role.

The writes here follow the services' rules (keyword-only, the acting user, one transaction); they sit
beside the list they serve rather than in `services.py`, which is the order lifecycle's.
"""

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.http import QueryDict

from oms.exceptions import DomainError, NotPermitted
from orders.filters import OrderFilter
from orders.models import SavedView
from orders.tables import OPTIONAL_COLUMNS, SORTABLE_COLUMNS

# The list's own parameters that are not part of a filter.
NOT_FILTER_PARAMETERS = {"page", "sort", "view", "per_page"}


def saved_views_for(user) -> QuerySet[SavedView]:
    """The views a staff member sees as tabs: their own and those shared with one of their roles."""
    if not user.is_authenticated:
        return SavedView.objects.none()
    return (SavedView.objects.filter(Q(owner=user) | Q(shared_with__in=user.groups.all()))
            .select_related("owner", "shared_with").distinct().order_by("name", "pk"))


def saved_view_visible(user, pk) -> SavedView | None:
    """The view with that id if the user may see it, else None (a stale or foreign id is not an error)."""
    if not (isinstance(pk, str) and pk.isdecimal() and pk.isascii() and len(pk) < 12):
        return None
    return saved_views_for(user).filter(pk=int(pk)).first()


def filter_query(params: QueryDict) -> str:
    """The filter's own parameters of a list query string, checked by the filter's form, in a fixed order.

    Raises DomainError naming what is wrong when a value is one the filter refuses (an unknown status,
    a date that is not one), so a saved view never holds a filter that would show something else.
    """
    kept = QueryDict(mutable=True)
    for name in OrderFilter.base_filters:
        values = [v for v in params.getlist(name) if v.strip()]
        if values:
            kept.setlist(name, values)
    form = OrderFilter(kept, queryset=SavedView.objects.none()).form
    if not form.is_valid():
        problems = "; ".join(f"{form.fields[field].label or field}: {' '.join(errors)}"
                             for field, errors in form.errors.items())
        raise DomainError(f"This filter cannot be saved ({problems}).")
    query = kept.urlencode()
    if len(query) > SavedView._meta.get_field("query").max_length:
        raise DomainError("This filter is too long to be saved.")
    return query


def _checked(*, name: str, columns, sort: str) -> tuple[str, list[str], str]:
    name = " ".join((name or "").split())
    if not name or len(name) > 60 or "\x00" in name:
        raise DomainError("A view's name is 1 to 60 characters.")
    unknown = [c for c in columns if c not in OPTIONAL_COLUMNS]
    if unknown:
        raise DomainError(f"Unknown column {unknown[0][:40]!r}.")
    columns = [c for c in OPTIONAL_COLUMNS if c in set(columns)]
    if not columns:
        raise DomainError("Choose at least one column.")
    sort = (sort or "").strip()
    if sort and sort.removeprefix("-") not in SORTABLE_COLUMNS:
        raise DomainError(f"The list cannot be sorted by {sort[:40]!r}.")
    return name, columns, sort


def saved_view_save(*, actor, name: str, params: QueryDict, columns, sort: str = "",
                    shared_with: Group | None = None) -> SavedView:
    """Save the list as it is as a view of that name: a new one, or the actor's view of that name again.

    A role may only be given by someone in it (or a superuser): staff share with their own team.
    Saving twice (a double click) leaves one view.
    """
    name, columns, sort = _checked(name=name, columns=columns, sort=sort)
    query = filter_query(params)
    if shared_with is not None and not actor.is_superuser and not actor.groups.filter(pk=shared_with.pk).exists():
        raise NotPermitted(f"You can only share a view with a role you have ({shared_with.name} is not one).")
    values = {"query": query, "columns": columns, "sort": sort, "shared_with": shared_with}
    # update_or_create locks the row, and when a second request creates the same name at that moment it
    # reads that row back after the unique constraint refuses its own insert, then updates it.
    view, _ = SavedView.objects.update_or_create(owner=actor, name=name, defaults=values)
    return view


def saved_view_delete(*, actor, view: SavedView) -> None:
    """Only its owner (or a superuser) deletes a view; deleting one already gone changes nothing."""
    if view.owner_id != actor.pk and not actor.is_superuser:
        raise NotPermitted(f"The view “{view.name}” is {view.owner}'s; only they can delete it.")
    SavedView.objects.filter(pk=view.pk).delete()
