"""The Content-Security-Policy forbids inline script and style, and the browser tests notice
any violation: every browser test fails if the page broke the policy (see conftest.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import sign_in

pytestmark = pytest.mark.browser


def test_pages_are_served_with_a_policy_that_forbids_inline_script_and_style(page: Page, demo):
    response = page.goto("/sign-in/")
    policy = response.headers["content-security-policy"]
    directives = {}
    for part in filter(None, (part.strip() for part in policy.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy


def test_an_inline_style_or_script_is_blocked_and_reported(page: Page, demo, page_problems):
    sign_in(page, "lead")
    page.goto(demo.plan.get_absolute_url())
    page.evaluate(
        """() => {
          document.querySelector('h1').setAttribute('style', 'color: red');
          const script = document.createElement('script');
          script.textContent = 'document.title = "changed by inline script"';
          document.body.append(script);
        }"""
    )
    expect(page).not_to_have_title("changed by inline script")
    expect(page.locator("h1")).not_to_have_css("color", "rgb(255, 0, 0)")
    page.wait_for_function("() => true")
    assert any("style-src" in text for text in page_problems.csp), page_problems.csp
    assert any("script-src" in text for text in page_problems.csp), page_problems.csp
    # The violations were wanted here; the fixture's final check is for unwanted ones.
    page_problems.csp.clear()
