"""What several browser tests do: sign in, check a page with axe-core, make a small PDF."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

# WCAG 2.0, 2.1 and 2.2, levels A and AA (axe tags every 2.2 A rule it has as wcag22aa too).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Rules axe ships switched off, which choosing them by tag does not switch on: target size
# (WCAG 2.2, 2.5.8: every target at least 24 by 24 CSS pixels, or spaced as far apart).
ENABLED_RULES = {"target-size": {"enabled": True}}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_TAGS},
    "rules": ENABLED_RULES,
    "resultTypes": ["violations"],
}

PASSWORDS = {
    "lead": "lead-demo-2026",
    "executive": "executive-demo-2026",
    "admin": "admin-demo-2026",
}

_axe = Axe()


def sign_in(page: Page, username: str, password: str | None = None, *, next_path: str = "") -> None:
    """Sign in through the sign-in page, as a person would."""
    page.goto("/sign-in/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def axe_results(page: Page) -> dict:
    """Run axe-core on the page as it is now: every rule's outcome (details for violations)."""
    return _axe.run(page, options=AXE_OPTIONS).response


def axe_violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now; return its WCAG A/AA violations."""
    return axe_results(page)["violations"]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail with each violation's rule, help and the elements it found."""
    violations = axe_violations(page)
    assert not violations, f"axe-core found on {page.url}:\n{describe(violations)}"


def small_pdf(text: str = "Training review minutes") -> bytes:
    """A minimal, valid one-page PDF, built byte by byte with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def is_focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, locator, *, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the element is focused, checking each stop shows focus."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("document.activeElement === document.body"):
            # Past the last element focus leaves the page for the browser's own controls.
            continue
        assert_focus_visible(page)
        if is_focused(locator):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {locator}")


FOCUS_STYLE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  return {
    tag: element.tagName.toLowerCase() + (element.id ? '#' + element.id : ''),
    text: (element.innerText || element.value || '').trim().slice(0, 60),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    boxShadow: style.boxShadow,
  };
}"""


def assert_focus_visible(page: Page) -> None:
    """The focused element shows it: an outline or a box-shadow ring, not nothing."""
    style = page.evaluate(FOCUS_STYLE)
    assert style is not None, "Nothing is focused"
    outlined = style["outlineStyle"] != "none" and style["outlineWidth"] > 0
    ringed = style["boxShadow"] not in ("", "none")
    assert outlined or ringed, f"No visible focus on {style}"


def choose_with_arrow_keys(page: Page, select, label: str, *, limit: int = 30) -> None:
    """Move a focused, closed select down to the option with this label using ArrowDown.

    (Type-ahead would also work, but it starts over after a second's pause between keys, so
    on a busy machine it can pick the wrong option.)"""
    for _ in range(limit):
        chosen = select.evaluate("element => element.selectedOptions[0]?.label")
        if chosen == label:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"ArrowDown never reached the option {label!r}")
