"""Browser tests: Playwright (Python, sync API) driving Debian's Chromium against pytest-django's live server.

Every test in this folder is marked ``e2e`` (``make test-fast`` leaves them out) and runs after the rest of the
suite, because Playwright's sync API keeps an asyncio loop running in the main thread for as long as the browser
lives. Screenshots go to ``test-artifacts/screenshots/`` at the repository root (CI keeps that folder).

Chromium is never downloaded (no ``playwright install``): the tests use ``/usr/bin/chromium`` or the path in
``GRIDGOV_CHROMIUM``, and fail, not skip, when it is missing.
"""

import contextlib
import os
import re
import shutil
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parents[1]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Long enough for a slow CI machine, short enough that a broken page fails fast instead of hanging the suite.
TIMEOUT_MS = 10_000


def _is_e2e(item) -> bool:
    return E2E_DIR in Path(str(item.path)).resolve().parents


def pytest_collection_modifyitems(config, items):
    """Marks the tests under this folder ``e2e`` and moves them after every other test of the session."""
    e2e, others = [], []
    for item in items:
        if _is_e2e(item):
            item.add_marker(pytest.mark.e2e)
            e2e.append(item)
        else:
            others.append(item)
    items[:] = others + e2e


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keeps each phase's report on the item so that the ``page`` fixture can photograph a failure."""
    report = yield
    if _is_e2e(item):
        setattr(item, f"_e2e_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def _allow_async_unsafe():
    """Playwright's sync API runs an asyncio loop in the main thread; Django's async-unsafe guard would then refuse
    every ORM call the tests and the live server make. Lifted only while the browser tests run."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def chromium_path() -> str:
    path = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
    resolved = shutil.which(path) or path
    if not os.path.isfile(resolved) or not os.access(resolved, os.X_OK):
        pytest.fail(
            f"Chromium not found at {path!r}. The browser tests need Debian's Chromium: "
            "`apt-get install chromium fonts-noto-cjk` (or set GRIDGOV_CHROMIUM to another Chromium binary). "
            "Do not run `playwright install`. To run the suite without browser tests: `make test-fast`.",
            pytrace=False,
        )
    return resolved


@pytest.fixture(scope="session")
def browser(_allow_async_unsafe):
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR


@pytest.fixture
def site(_allow_async_unsafe, transactional_db, live_server, territory):
    """The shared territory, committed so that the live server's thread sees it. Returns the territory."""
    return territory


@pytest.fixture
def page(request, browser, live_server, screenshot_dir):
    """A fresh browser context (no cookies) at desktop size, its base URL the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "_e2e_report_call", None)
    if report is not None and report.failed:
        # The failure itself matters more than its photograph: never let the screenshot mask it.
        with contextlib.suppress(Exception):
            page.screenshot(path=screenshot_dir / f"{_slug(request.node.name)}--FAILED.png", full_page=True)
    context.close()


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-")


@pytest.fixture
def shot(request, page, screenshot_dir):
    """``shot("03-village")`` saves the page at desktop and phone size as
    ``<test>--03-village--desktop.png`` and ``<test>--03-village--phone.png``, then restores the desktop size."""

    def _shot(step: str, *, phone: bool = True) -> None:
        base = f"{_slug(request.node.name)}--{_slug(step)}"
        page.screenshot(path=screenshot_dir / f"{base}--desktop.png", full_page=True)
        if phone:
            page.set_viewport_size(PHONE)
            # Charts (ECharts) redraw on the resize event: give them two frames before the picture.
            page.evaluate(
                "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
            )
            page.wait_for_timeout(150)
            page.screenshot(path=screenshot_dir / f"{base}--phone.png", full_page=True)
            page.set_viewport_size(DESKTOP)

    return _shot


@pytest.fixture
def login(page):
    """``login("admin")`` signs in through the real login form and waits for the page it lands on."""
    from gridgov.conftest import PASSWORD

    def _login(username: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.get_by_label("用户名", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="登录", exact=True).click()

    return _login
