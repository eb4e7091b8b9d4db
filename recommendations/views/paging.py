"""Long lists of plans (the plan list, the dashboard's comparison) shown a page at a time, with
plain links between pages and to the whole list, so paging works without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page
from django.http import HttpRequest

from ..figures import PLANS_PER_PAGE

SHOW_ALL = "all"


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str = ""  # empty for the gap between distant page numbers
    current: bool = False


@dataclass
class Pagination:
    """Where a page sits in the list, and the links to the others."""

    page: Page
    show_all: bool
    per_page: int = PLANS_PER_PAGE
    links: list[PageLink] = field(default_factory=list)

    @property
    def needed(self) -> bool:
        """Only lists longer than a page get links: a short list reads as it always did."""
        return self.page.paginator.count > self.per_page

    @property
    def count(self) -> int:
        return self.page.paginator.count


def page_choice(request: HttpRequest) -> tuple[str, int]:
    """The page asked for in `?page=`, and how many plans it holds (0 for "all")."""
    number = request.GET.get("page", "")
    return (number, 0) if number == SHOW_ALL else (number, PLANS_PER_PAGE)


def pagination(page: Page, *, show_all: bool) -> Pagination:
    links = []
    if not show_all:
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2):
            if number == page.paginator.ELLIPSIS:
                links.append(PageLink(str(number)))
            else:
                links.append(PageLink(str(number), f"?page={number}", number == page.number))
    return Pagination(page=page, show_all=show_all, links=links)
