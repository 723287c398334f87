"""The website widget in a real browser (Debian's headless Chromium, driven by Playwright):
what a website visitor does, safe rendering, persistence, keyboard use, accessibility, and the
third-party rasa-webchat widget against the same server. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from spinebot import paths
from spinebot.local_servers import free_port, running_bot
from spinebot.storage import Store
from spinebot.widget_server import make_server

CHROMIUM = os.environ.get("SPINEBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium (scripts/install-browser.sh)")
    with running_bot(tmp_path_factory.mktemp("widget")) as bot:
        port = free_port()
        server = make_server("127.0.0.1", port, bot["rasa"])
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield dict(bot, site=f"http://127.0.0.1:{port}")
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # bypass_csp: Playwright evaluates its waiting conditions as strings, which the page CSP forbids
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(30000)
    yield page
    context.close()


def open_widget(page, site):
    page.goto(site["site"] + "/")
    page.get_by_role("button", name="Chat with SpineBot").click()
    page.locator(".sbw-bot").first.wait_for()


def ask(page, text):
    before = page.locator(".sbw-bot").count()
    page.get_by_label("Type your question").fill(text)
    page.get_by_role("button", name="Send").click()
    page.wait_for_function(f"document.querySelectorAll('.sbw-bot').length > {before}")
    page.wait_for_timeout(400)  # the rest of the turn's messages


def test_visitor_asks_clicks_gives_feedback_and_reloads(page, site, artifacts_dir):
    open_widget(page, site)
    assert "not medical advice" in page.locator(".sbw-bot").first.inner_text()
    assert page.get_by_text("Not for emergencies. In an emergency, call 999.").is_visible()
    ask(page, "how is laser spine surgery done?")
    assert page.locator(".sbw-bot em", has_text="Source: Revision Spine Surgery").last.is_visible()
    assert "microscope" in page.locator(".sbw-log").inner_text()
    # click a suggestion
    before = page.locator(".sbw-bot").count()
    page.locator(".sbw-bot .sbw-button", has_text="Which operations are used in revision surgery?").last.click()
    page.wait_for_function(f"document.querySelectorAll('.sbw-bot').length > {before}")
    page.wait_for_timeout(500)
    assert "laminotomy" in page.locator(".sbw-log").inner_text()
    # feedback under the last knowledge answer, stored for the staff console
    page.get_by_role("button", name="Yes, this answer was helpful").last.click()
    page.get_by_text("Thank you for letting us know.").wait_for()
    assert [(f.kb_id, f.helpful) for f in Store(site["database_url"]).feedback()][-1] == ("revision_procedures", True)
    page.screenshot(path=str(artifacts_dir / "widget-desktop.png"))
    # the conversation survives a reload and navigation within the site
    page.reload()
    assert "laminotomy" in page.locator(".sbw-log").inner_text()
    page.goto(site["site"] + "/about.html")
    assert "laminotomy" in page.locator(".sbw-log").inner_text()
    ask(page, "how much does it cost?")
    assert "prices" in page.locator(".sbw-log").inner_text().lower()
    # start over
    page.get_by_role("button", name="Start over").click()
    page.locator(".sbw-bot").first.wait_for()
    assert "laminotomy" not in page.locator(".sbw-log").inner_text()


def test_markup_is_rendered_inert(page, site):
    open_widget(page, site)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for text in ['<script>alert("x")</script>', '<img src=x onerror="alert(1)">']:
        ask(page, text)
        assert page.locator(".sbw-user .sbw-text", has_text=text).count() == 1
    assert page.locator(".sbw-log img, .sbw-log script").count() == 0
    assert not dialogs


def test_keyboard_only_conversation_and_phone_screenshot(browser, site, artifacts_dir):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto(site["site"] + "/")
    page.focus("body")
    for _ in range(10):  # tab to the launcher like a keyboard user
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "sbw-launcher":
            break
    assert page.evaluate("document.activeElement.className") == "sbw-launcher"
    page.keyboard.press("Enter")
    page.locator(".sbw-bot").first.wait_for()
    assert page.evaluate("document.activeElement.id") == "sbw-input"  # focus moved into the chat
    page.keyboard.type("what is IDD therapy?")
    page.keyboard.press("Enter")
    page.get_by_text("computer-controlled machine", exact=False).first.wait_for()
    page.wait_for_timeout(400)
    # reach a suggestion button with Shift+Tab from the input and press it
    before = page.locator(".sbw-bot").count()
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(
            "document.activeElement.classList.contains('sbw-button') && !document.activeElement.disabled "
            "&& !document.activeElement.classList.contains('sbw-feedback-button')"
        ):
            break
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.sbw-bot').length > {before}")
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts_dir / "widget-phone-360.png"))
    width = page.evaluate("document.querySelector('.sbw-panel').getBoundingClientRect().width")
    assert width <= 360
    page.keyboard.press("Escape")
    assert page.locator(".sbw-panel").is_hidden()
    assert page.evaluate("document.activeElement.className") == "sbw-launcher"
    context.close()


def test_accessibility_with_axe(page, site, artifacts_dir):
    open_widget(page, site)
    ask(page, "what are injections for?")
    page.add_script_tag(path=str(paths.PROJECT_ROOT / "widget" / "vendor" / "axe.min.js"))
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    serious = [v for v in results["violations"] if v["impact"] in ("serious", "critical")]
    (artifacts_dir / "axe-violations.json").write_text(json.dumps(results["violations"], indent=2))
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in serious]
    # 200% zoom: the panel still fits a 640px-wide viewport and the input is usable
    page.set_viewport_size({"width": 640, "height": 450})
    page.evaluate("document.body.style.zoom = '2'")
    assert page.get_by_label("Type your question").is_visible()
    page.screenshot(path=str(artifacts_dir / "widget-zoom-200.png"))


def test_rasa_webchat_gets_greeting_and_answer(page, site, artifacts_dir):
    page.goto(site["site"] + "/webchat-compat.html")
    page.locator(".rw-launcher").click()
    page.get_by_text("not medical advice", exact=False).first.wait_for()
    page.locator(".rw-new-message").fill("what is IDD therapy?")
    page.locator(".rw-new-message").press("Enter")
    page.get_by_text("computer-controlled machine", exact=False).first.wait_for()
    page.screenshot(path=str(artifacts_dir / "rasa-webchat.png"))
