"""The console in a real headless Chromium against the real server (``serve --admin``):
search and open a persona, read its bands, try a request, watch a fault arrive in the live
journal, an XSS persona, a frame on another site. A failing test leaves a screenshot in
``.pytest-screenshots/``."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from magda_kbi.domain.advies import Terms, Toepassing, geef_advies

from .browser import (
    SCREENSHOTS,
    XSS,
    XSS_INSZ,
    XSS_PERSONA,
    chromium_paths,
    screenshot,
    start_chromium,
)
from .conftest import Server
from .soap import DOSSIER, dossier_verzoek

TODAY = date(2025, 6, 1)
INBREUK_OPEN = "73680599786"
DOCS = Path(__file__).resolve().parents[1] / "docs"

# On one worker: one browser and one server for the module, not one on each xdist worker.
pytestmark = pytest.mark.xdist_group("chromium")


@pytest.fixture(scope="module")
def console_server():
    chromium_paths()  # skip before starting anything when there is no browser
    s = Server("--admin", "--today", TODAY.isoformat())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    driver = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium, console_server, request):
    """The browser; a screenshot when the test failed (the call's report is in by now)."""
    failed = request.session.testsfailed
    yield chromium
    if request.session.testsfailed > failed:
        path = screenshot(chromium, SCREENSHOTS / f"{request.node.name}.png")
        print(f"screenshot of the failing page: {path}")


def wait_for(driver, condition, seconds: float = 10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(condition)


def by():
    from selenium.webdriver.common.by import By

    return By


def test_search_a_persona_open_it_and_read_every_day_of_its_bands(
    browser, console_server, builtin_personas
):
    By = by()
    browser.get(f"{console_server.url}/")  # redirected to the console
    assert browser.current_url.endswith("/console/")
    search = browser.find_element(By.ID, "q")
    search.send_keys("Leonard Janssens")
    search.submit()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-insz='{INBREUK_OPEN}']"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr[data-insz]")) == 1
    browser.find_element(By.LINK_TEXT, INBREUK_OPEN).click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "timeline"))
    assert browser.find_element(By.ID, "name").text == "Leonard Janssens"

    segments = browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-toepassing=ZORGBUDGET]'))"
        ".map(e => Object.assign({}, e.dataset));"
    )
    dossier = builtin_personas[INBREUK_OPEN].dossier
    day = date(2021, 12, 1)
    for segment in segments:
        assert date.fromisoformat(segment["van"]) == day  # contiguous from the range's start
        while day <= date.fromisoformat(segment["tot"]):
            advies = geef_advies(dossier, day, Toepassing.ZORGBUDGET, Terms(), vandaag=TODAY)
            assert segment["resultaat"] == advies.resultaat.value, day
            assert segment.get("reden") == (advies.reden.value if advies.reden else None), day
            assert segment["regel"] == str(advies.regel), day
            day += timedelta(days=1)
    assert day == date(2026, 6, 2)  # through 12 months after today
    # Written out from the persona file: the infringement of 2023-09-15 is never remedied.
    assert [(s["van"], s["resultaat"], s.get("reden")) for s in segments][-1] == (
        "2023-09-15",
        "NOK",
        "INBREUK",
    )
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-toepassing=VERLAAGDE_PREMIE]'))"
        ".map(e => [e.dataset.jaar, e.dataset.resultaat, e.dataset.reden || null]);"
    )
    assert cells == [
        ["2022", "OK", None],
        ["2023", "OK", None],
        ["2024", "OK", None],
        ["2025", "NOK", "INBREUK"],
        ["2026", "NOK", "INBREUK"],
    ]

    from selenium.webdriver.common.action_chains import ActionChains

    nok = browser.find_element(By.CSS_SELECTOR, "[data-toepassing=ZORGBUDGET][data-resultaat=NOK]")
    ActionChains(browser).move_to_element(nok).perform()
    wait_for(browser, lambda d: "INBREUK" in d.find_element(By.ID, "hover").text)
    assert "rule 6" in browser.find_element(By.ID, "hover").text
    if os.environ.get("MAGDA_KBI_DOCS_SCREENSHOT"):  # refreshes the README's picture
        screenshot(browser, DOCS / "console-timeline.png")


def test_try_a_request_and_see_nok_inbreuk(browser, console_server):
    By = by()
    browser.get(f"{console_server.url}/console/try")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element(By.ID, "service")).select_by_visible_text(
        "GeefAutomatischAdvies 01.00"
    )
    browser.find_element(By.ID, "insz").send_keys(INBREUK_OPEN)
    # a known Afzender typed (or picked from its list) takes its Hoedanigheid along
    afzender = browser.find_element(By.ID, "afzender")
    afzender.clear()
    afzender.send_keys("stad.gent.be")
    browser.find_element(By.ID, "insz").click()  # leaving the field is its change
    assert browser.find_element(By.ID, "hoedanigheid").get_attribute("value") == "GEMEENTE"
    afzender.clear()
    afzender.send_keys("zorgkas1.test.be")
    browser.find_element(By.ID, "insz").click()
    assert browser.find_element(By.ID, "hoedanigheid").get_attribute("value") == "ZORGKAS"
    datum = browser.find_element(By.ID, "datum")
    datum.clear()
    datum.send_keys("2025-01-01")
    browser.find_element(By.ID, "build").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "send"))
    assert "curl -s -X POST" in browser.find_element(By.ID, "curl").text
    browser.find_element(By.ID, "send").click()
    wait_for(browser, lambda d: d.find_element(By.ID, "summary").text)
    assert browser.find_element(By.ID, "summary").text == "NOK INBREUK"
    assert browser.find_element(By.ID, "status").text == "HTTP 200"
    assert "<Code>INBREUK</Code>" in browser.find_element(By.ID, "reply").text
    assert browser.find_element(By.ID, "latency").text.endswith(" ms")
    # It went through the real HTTP path: the journal has it.
    journal = requests.get(
        f"{console_server.url}/admin/journal", params={"insz": INBREUK_OPEN}, timeout=5
    ).json()["entries"]
    assert journal[-1]["operation"] == "GeefAutomatischAdvies"
    assert journal[-1]["result"] == "NOK INBREUK"


def test_a_fault_set_in_the_console_arrives_in_the_live_journal(browser, console_server):
    By = by()
    from selenium.webdriver.support.ui import Select

    browser.get(f"{console_server.url}/console/faults")
    wait_for(browser, lambda d: d.find_elements(By.ID, "no-faults"))  # said, not a bare header
    # a random latency, for another person: its delay is in the list; removed again
    Select(browser.find_element(By.ID, "fault-kind")).select_by_visible_text("latency")
    browser.find_element(By.ID, "fault-insz").send_keys("79611034583")
    browser.find_element(By.ID, "fault-latency").send_keys("200")
    browser.find_element(By.ID, "fault-latency-max").send_keys("800")
    browser.find_element(By.ID, "fault-add").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#faults tr[data-kind='latency']"))
    cells = browser.find_elements(By.CSS_SELECTOR, "#faults tr[data-kind='latency'] td")
    assert [c.text for c in cells[1:8]] == [
        "latency",
        "any",
        "79611034583",
        "no limit",
        "all",
        "200–800 ms",
        "0",
    ]
    browser.find_element(By.CSS_SELECTOR, "#faults tr[data-kind='latency'] button").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "no-faults"))
    for field in ("fault-insz", "fault-latency", "fault-latency-max"):
        browser.find_element(By.ID, field).clear()
    Select(browser.find_element(By.ID, "fault-kind")).select_by_visible_text("99996")
    browser.find_element(By.ID, "fault-count").send_keys("1")
    browser.find_element(By.ID, "fault-add").click()
    wait_for(browser, lambda d: "added" in d.find_element(By.ID, "message").text)
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#faults tr[data-kind='99996']"))

    browser.get(f"{console_server.url}/console/journal?afzender=nobody.test")
    wait_for(browser, lambda d: d.find_elements(By.ID, "no-entries"))  # said, not a bare header
    assert browser.find_element(By.ID, "no-entries").text == "no call matches these filters yet"
    browser.get(f"{console_server.url}/console/journal")
    wait_for(browser, lambda d: "entries kept" in d.find_element(By.ID, "journal-size").text)
    antwoord = requests.post(
        console_server.url + DOSSIER["02.00"][1],
        data=dossier_verzoek(INBREUK_OPEN, "02.00"),
        headers={"Content-Type": "text/xml; charset=utf-8"},
        timeout=5,
    )
    assert b"<Identificatie>99996</Identificatie>" in antwoord.content
    row = "#journal tr[data-result='UITZONDERING 99996']"
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, row), seconds=6)  # no reload
    assert browser.find_elements(By.ID, "no-entries") == []
    browser.find_element(By.CSS_SELECTOR, f"{row} a").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "reply-body"))
    assert "99996" in browser.find_element(By.ID, "reply-body").text


def test_a_persona_named_like_markup_shows_as_text(browser, console_server):
    By = by()
    antwoord = requests.put(
        f"{console_server.url}/admin/personas/{XSS_INSZ}",
        data=json.dumps(XSS_PERSONA),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert antwoord.status_code in (200, 201), antwoord.text
    for path in ("/console/?q=eve", f"/console/personas/{XSS_INSZ}"):
        browser.get(console_server.url + path)
        assert browser.find_elements(By.CSS_SELECTOR, "main img") == []
        assert XSS in browser.find_element(By.TAG_NAME, "main").text
    assert browser.find_element(By.ID, "name").text == f"Eve {XSS}"


def test_an_injected_script_does_not_run_and_the_console_needs_none(browser, console_server):
    """The console's pages ran inline scripts, and its CSP allowed any: markup that got into
    a page past the templates' escaping would have run. Now every page starts from its own
    script file, and a script put into a page (as an XSS would) is refused by the browser."""
    By = by()
    browser.get_log("browser")  # what earlier tests left
    pages = [
        "/console/",
        f"/console/personas/{INBREUK_OPEN}",
        "/console/try?service=GeefAutomatischAdvies-01.00&insz=73680599786",
        "/console/journal",
        "/console/faults",
        "/console/clock",
    ]
    for page in pages:
        browser.get(console_server.url + page)
        wait_for(browser, lambda d: d.execute_script("return document.readyState") == "complete")
        browser.execute_script(
            "const s = document.createElement('script');"
            "s.textContent = 'window.injected = true';"
            "document.body.appendChild(s);"
        )
        assert browser.execute_script("return window.injected === undefined"), page
    said = [entry["message"] for entry in browser.get_log("browser")]
    refused = [m for m in said if "Content Security Policy" in m]
    assert len(refused) == len(pages), said  # the injected ones, and only they
    assert all("inline script" in m for m in refused), refused
    # each page's own script started it: the clock page shows the day it read
    browser.get(f"{console_server.url}/console/clock")
    wait_for(browser, lambda d: d.find_element(By.ID, "today").text == TODAY.isoformat())


def test_on_a_phone_s_width_no_page_is_wider_than_the_screen(browser, console_server):
    """At 390 px the persona list, the journal and the faults table and a persona's
    consumer choice were wider than the screen (594, 657, 628 and 499 px): the whole page
    scrolled sideways and cut its text. A wide table now scrolls in its own box."""
    pages = [
        "/console/",
        f"/console/personas/{INBREUK_OPEN}",
        f"/console/try?service=GeefDossierKBI+02.00&insz={INBREUK_OPEN}",
        "/console/journal",
        "/console/faults",
        "/console/clock",
    ]
    browser.set_window_size(390, 900)
    try:
        for path in pages:
            browser.get(console_server.url + path)
            widths = browser.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]"
            )
            assert widths[0] <= widths[1], (path, widths)
    finally:
        browser.set_window_size(1400, 1000)


def test_another_site_cannot_show_the_console_in_a_frame(browser, console_server, tmp_path):
    """A page of another origin (a file here) that frames the console gets the browser's
    error page in the frame, not the console (clickjacking: a click there reached it)."""
    page = tmp_path / "elsewhere.html"
    page.write_text(f'<iframe id="f" src="{console_server.url}/console/" width="900"></iframe>')
    browser.get(page.as_uri())
    browser.switch_to.frame("f")
    try:  # the frame has left about:blank: the console, or the browser's error page
        where = wait_for(
            browser,
            lambda d: d.execute_script(
                "return document.readyState === 'complete' && location.href !== 'about:blank'"
                " && location.href"
            ),
        )
        shown = browser.find_elements(by().ID, "q")
    finally:
        browser.switch_to.default_content()
    assert not where.startswith(console_server.url) and shown == [], where


def test_with_an_admin_token_the_journal_page_asks_for_it(chromium, tmp_path, request):
    By = by()
    s = Server("--admin", "--admin-token", "geheim", "--today", TODAY.isoformat())
    failed = request.session.testsfailed
    try:
        chromium.get(f"{s.url}/console/journal")
        wait_for(
            chromium, lambda d: "ADMIN_TOKEN_REQUIRED" in d.find_element(By.ID, "journal-size").text
        )
        field = chromium.find_element(By.ID, "token")
        field.send_keys("geheim")
        field.send_keys("\t")  # the change event keeps it for this tab
        dossier_van = requests.post(
            s.url + DOSSIER["02.00"][1],
            data=dossier_verzoek(INBREUK_OPEN, "02.00"),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=5,
        )
        assert dossier_van.status_code == 200
        row = "#journal tr[data-result='DOSSIER'] a"
        wait_for(chromium, lambda d: d.find_elements(By.CSS_SELECTOR, row))
        chromium.find_element(By.CSS_SELECTOR, row).click()  # opened here, with the token
        wait_for(chromium, lambda d: d.find_elements(By.CSS_SELECTOR, "#entry-view #reply-body"))
        assert "Janssens" in chromium.find_element(By.ID, "reply-body").text
    finally:
        if request.session.testsfailed > failed:
            screenshot(chromium, SCREENSHOTS / f"{request.node.name}.png")
        s.stop()


class PrefixProxy:
    """A reverse proxy that serves ``upstream`` under /emu/ of its own address and says so
    in X-Forwarded-Prefix, as a shared test environment's does; ``paths`` the paths asked."""

    def __init__(self, upstream: str) -> None:
        import http.server
        import threading

        self.paths: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def forward(self) -> None:
                proxy.paths.append(self.path)
                if not self.path.startswith("/emu/"):
                    self.send_error(404, "outside /emu/")
                    return
                length = int(self.headers.get("Content-Length") or 0)
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                headers["X-Forwarded-Prefix"] = "/emu"
                headers["X-Forwarded-Host"] = self.headers["Host"]
                answer = requests.request(
                    self.command,
                    upstream + self.path[len("/emu") :],
                    data=self.rfile.read(length) if length else None,
                    headers=headers,
                    allow_redirects=False,
                    timeout=10,
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_DELETE = forward

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_console_works_behind_a_proxy_that_serves_it_under_a_path(chromium):
    """Links, redirects and the admin calls of the console's scripts go through the proxy's
    path (they went to /console/... and /admin/... at the proxy's root, outside it)."""
    By = by()
    server = Server("--admin", "--proxy-headers", "--today", TODAY.isoformat())
    proxy = PrefixProxy(server.url)
    try:
        made = requests.post(
            f"{server.url}/admin/faults", json={"kind": "99996", "count": 5}, timeout=5
        )
        assert made.status_code == 201, made.text
        chromium.get(f"{proxy.url}/emu/")  # the root sends a browser to the console
        assert chromium.current_url == f"{proxy.url}/emu/console/"
        chromium.find_element(By.LINK_TEXT, "Faults").click()
        wait_for(
            chromium, lambda d: d.find_elements(By.CSS_SELECTOR, "#faults tr[data-kind='99996']")
        )
        chromium.find_element(By.CSS_SELECTOR, "#faults tr[data-kind='99996'] button").click()
        wait_for(chromium, lambda d: d.find_elements(By.ID, "no-faults"))
        assert requests.get(f"{server.url}/admin/faults", timeout=5).json() == []
        outside = [p for p in proxy.paths if not p.startswith("/emu/") and p != "/favicon.ico"]
        assert outside == [] and "/emu/admin/faults" in proxy.paths
    finally:
        proxy.stop()
        server.stop()


def test_a_page_on_an_allowed_origin_reads_the_rest_api(browser, console_server, tmp_path):
    """A zorgkas's front-end on its dev server (another origin) asks the REST API with the
    identity headers (so the browser asks first: the preflight), with serve --cors-origin
    for its origin: it reads the advice. The same page against an emulator without the
    option is refused by the browser, as before."""
    import functools
    import http.server
    import threading

    from .processes import free_port

    (tmp_path / "app.html").write_text(
        "<!doctype html><title>zorgkas</title><p id='out'>waiting</p><script>\n"
        "const emulator = new URLSearchParams(location.search).get('emulator');\n"
        "fetch(emulator + '/api/v1/advies/" + INBREUK_OPEN + "?datum=2025-01-01', {headers:"
        " {'X-Magda-Afzender': 'zorgkas1.test.be', 'X-Magda-Hoedanigheid': 'ZORGKAS'}})\n"
        "  .then((r) => r.json())\n"
        "  .then((a) => { out.textContent = a.resultaat + ' ' + a.reden.code; },\n"
        "        () => { out.textContent = 'refused'; });\n"
        "</script>",
        encoding="utf-8",
    )
    port = free_port()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    allowed = Server("--today", TODAY.isoformat(), "--cors-origin", f"http://127.0.0.1:{port}")
    try:
        for emulator, shown in ((allowed, "NOK INBREUK"), (console_server, "refused")):
            browser.get(f"http://127.0.0.1:{port}/app.html?emulator={emulator.url}")
            wait_for(browser, lambda d: d.find_element(by().ID, "out").text != "waiting")
            assert browser.find_element(by().ID, "out").text == shown, emulator.url
    finally:
        allowed.stop()
        pages.shutdown()
        pages.server_close()
