"""A real headless Chromium for the console tests: Debian's ``chromium`` and
``chromium-driver``, driven by selenium. Nothing is downloaded at test time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

INSTALL = "apt-get install chromium chromium-driver (Debian); .ci/run does this itself"
SCREENSHOTS = Path(__file__).resolve().parents[1] / ".pytest-screenshots"

# A persona whose name and scenario are markup: the console must show them as text.
XSS = "<img src=x onerror=alert(1)>"
XSS_INSZ = "85610100147"
XSS_PERSONA = {
    "insz": XSS_INSZ,
    "scenario": XSS,
    "dossier": {"personalia": {"achternamen": [XSS], "voornamen": ["Eve"]}},
}


def chromium_paths() -> tuple[str, str]:
    """The browser and its driver, or a skip that says how to get them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip(f"no Chromium and ChromeDriver on this machine: {INSTALL}")
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip("selenium is not installed: pip install -e '.[test]'")
    return browser, driver


def start_chromium(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    # Headless as root in a closed network: no sandbox, no GPU, and no background
    # connections to Google's hosts (refused here, and slow to fail).
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    # the page's console messages, for driver.get_log("browser"): a CSP refusal is one
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def screenshot(driver, path: Path) -> Path:
    """A PNG of the current page (the full height of the document)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(1000, min(int(height) + 40, 4000)))
    driver.save_screenshot(str(path))
    return path
