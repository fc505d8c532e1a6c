"""The web console, in-process (werkzeug's client): pages, the timeline's data hooks, the
consumer view, the journal's bodies, escaping and the admin-only pages. The same in a real
browser: test_console_browser.py."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from lxml import etree, html
from werkzeug.test import Client

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.domain.advies import Terms, Toepassing, geef_advies
from magda_kbi.io.personas import persona_from_data
from magda_kbi.io.population import generate_population

from .browser import XSS, XSS_INSZ, XSS_PERSONA
from .soap import DOSSIER, dossier_verzoek

TODAY = date(2025, 6, 1)
INBREUK_OPEN = "73680599786"


@pytest.fixture
def client() -> Client:
    return Client(make_emulator(Settings(TODAY, admin=True)))


def get_page(client: Client, url: str, status: int = 200) -> html.HtmlElement:
    antwoord = client.get(url)
    assert antwoord.status_code == status, antwoord.text[:500]
    return html.fromstring(antwoord.data)


def test_root_redirects_a_browser_and_answers_json_to_a_program(client):
    antwoord = client.get("/", headers={"Accept": "text/html,*/*"})
    assert antwoord.status_code == 302
    assert antwoord.headers["Location"] == "/console/"
    antwoord = client.get("/", headers={"Accept": "application/json"})
    assert antwoord.status_code == 200
    assert antwoord.json["console"] == "/console/"


def test_persona_list_searches_and_filters_on_today_s_advice(client):
    all_pages = get_page(client, "/console/")
    assert len(all_pages.xpath("//tr[@data-insz]")) == 23  # every built-in persona, one page
    found = get_page(client, "/console/?q=leonard+janssens")
    assert found.xpath("//tr[@data-insz]/@data-insz") == [INBREUK_OPEN]
    part = get_page(client, "/console/?q=73680599")  # part of an INSZ
    assert part.xpath("//tr[@data-insz]/@data-insz") == [INBREUK_OPEN]
    nok = get_page(client, "/console/?result=NOK")
    resultaten = nok.xpath("//tr[@data-insz]//span[@data-resultaat]/@data-resultaat")
    assert resultaten and set(resultaten) == {"NOK"}
    assert INBREUK_OPEN in nok.xpath("//tr[@data-insz]/@data-insz")
    get_page(client, "/console/?result=MAYBE", status=400)
    # a search and a filter at once: the search's rows with that advice (never run before)
    janssens = get_page(client, "/console/?q=janssens").xpath("//tr[@data-insz]")
    assert len(janssens) == 10
    for result, expected in (("NOK", [INBREUK_OPEN]), ("OK", None)):
        rows = get_page(client, f"/console/?q=janssens&result={result}").xpath("//tr[@data-insz]")
        got = [r.get("data-insz") for r in rows]
        rest = [r.get("data-insz") for r in janssens if r.get("data-insz") != INBREUK_OPEN]
        assert got == (expected or rest)


def test_persona_list_pages_on_the_server(client):
    first = get_page(client, "/console/?page=1")
    assert not first.xpath("//a[@rel='next']")  # 23 personas fit on one page of 50
    empty = get_page(client, "/console/?page=2")
    assert empty.xpath("//a[@rel='prev']")
    assert not empty.xpath("//tr[@data-insz]")


@pytest.mark.parametrize("step", [7, None], ids=["steps of 7", "default step"])
def test_the_result_filter_pages_follow_the_day_and_the_personas(step, monkeypatch):
    """Filtered pages list exactly the personas with that advice today, in INSZ order, over
    several pages asked in any order; after the clock or a persona changed, the new ones
    (the console keeps what it scanned for a day and a persona set, scanning a step at a
    time)."""
    if step is not None:
        monkeypatch.setattr("magda_kbi.adapters.console.SCAN_STEP", step)
    emulator = make_emulator(Settings(TODAY, admin=True))
    runtime = emulator.runtime
    extra = [
        persona_from_data(d, contract=False)
        for d in generate_population(300, 7, taken=runtime.personas)
    ]
    runtime.reload({**runtime.base_personas, **{p.insz: p for p in extra}})
    client = Client(emulator)

    def expected(result: str, day: date) -> list[str]:
        return [
            insz
            for insz, persona in sorted(runtime.personas.items())
            if geef_advies(
                persona.dossier, day, Toepassing.ZORGBUDGET, Terms(), vandaag=day
            ).resultaat.value
            == result
        ]

    def listed(result: str, pages: list[int]) -> list[str]:
        found: dict[int, list[str]] = {}
        for page in pages:
            p = get_page(client, f"/console/?result={result}&page={page}")
            found[page] = p.xpath("//tr[@data-insz]/@data-insz")
            assert set(p.xpath("//tr[@data-insz]//span/@data-resultaat")) <= {result}
            assert bool(p.xpath("//a[@rel='next']")) == (page < max(pages)), (result, page)
        return [insz for page in sorted(found) for insz in found[page]]

    # 300 generated besides the 23 built-in: 2025-06-01 has 115 NOK (3 pages), 208 OK (5)
    nok, ok = expected("NOK", TODAY), expected("OK", TODAY)
    assert (len(nok), len(ok)) == (115, 208)
    assert listed("NOK", [3, 1, 2]) == nok
    assert listed("OK", [2, 5, 1, 4, 3]) == ok
    assert get_page(client, "/console/?result=NOK&page=999").xpath("//tr[@data-insz]") == []

    assert client.put("/admin/clock", json={"today": "2023-01-01"}).status_code == 200
    nok = expected("NOK", date(2023, 1, 1))
    assert len(nok) == 50  # one full page: no next page
    assert listed("NOK", [1]) == nok
    assert get_page(client, "/console/?result=NOK&page=2").xpath("//tr[@data-insz]") == []

    # one NOK persona removed, one made NOK by an infringement: the lists follow at once
    removed = client.delete(f"/admin/personas/{nok[0]}", content_type="application/json")
    assert removed.status_code == 204
    ok_now = expected("OK", date(2023, 1, 1))
    flipped = runtime.personas[ok_now[0]]
    body = client.get(f"/admin/personas/{flipped.insz}").json
    body["dossier"]["doelgroepen"] = [
        {"code": "JA", "type": "PLICHT", "periode": {"begin": "2020-01-02"}}
    ]
    body["dossier"]["inbreuken"] = [{"datum_vaststelling": "2022-03-15"}]
    assert client.put(f"/admin/personas/{flipped.insz}", json=body).status_code == 200
    nok = expected("NOK", date(2023, 1, 1))
    assert flipped.insz in nok and ok_now[0] not in expected("OK", date(2023, 1, 1))
    assert len(nok) == 50
    assert listed("NOK", [1]) == nok


def segments(get_page: html.HtmlElement) -> list[tuple]:
    return [
        (
            s.get("data-van"),
            s.get("data-tot"),
            s.get("data-resultaat"),
            s.get("data-reden"),
            s.get("data-regel"),
        )
        for s in get_page.xpath("//*[@data-toepassing='ZORGBUDGET']")
    ]


def test_timeline_of_an_open_infringement_written_out(client):
    p = get_page(client, f"/console/personas/{INBREUK_OPEN}")
    # Read off the persona file: in force 2022-01-01, Doelgroep from 2022-03-01, registered
    # and signed in time, infringement 2023-09-15 never remedied; the range ends 12 months
    # after today.
    assert segments(p) == [
        ("2021-12-01", "2021-12-31", "OK", None, "1"),
        ("2022-01-01", "2022-02-28", "OK", None, "3"),
        ("2022-03-01", "2023-09-14", "OK", None, "9"),
        ("2023-09-15", "2026-06-01", "NOK", "INBREUK", "6"),
    ]
    premie = [
        (c.get("data-jaar"), c.get("data-resultaat"), c.get("data-reden"), c.get("data-regel"))
        for c in p.xpath("//*[@data-toepassing='VERLAAGDE_PREMIE']")
    ]
    assert premie == [
        ("2022", "OK", None, "1"),
        ("2023", "OK", None, "3"),
        ("2024", "OK", None, "9"),
        ("2025", "NOK", "INBREUK", "6"),
        ("2026", "NOK", "INBREUK", "6"),
    ]
    feiten = [(f.get("data-feit"), f.get("data-datum")) for f in p.xpath("//*[@data-feit]")]
    assert feiten == [
        ("doelgroep", "2022-03-01"),
        ("aanmelding", "2022-03-20"),
        ("contract", "2022-05-10"),
        ("inbreuk", "2023-09-15"),
    ]
    titel = p.xpath(
        "//*[@data-toepassing='ZORGBUDGET'][@data-resultaat='NOK']/*[local-name()='title']"
    )
    assert "an infringement that was not remedied" in titel[0].text_content()


def test_every_band_holds_for_every_day_for_every_persona(client, builtin_personas):
    """The bands are geef_advies itself: each day of the range, each persona."""
    for insz, persona in builtin_personas.items():
        p = get_page(client, f"/console/personas/{insz}")
        days = 0
        vorige_tot = None
        for van, until, resultaat, reden, regel in segments(p):
            day, einde = date.fromisoformat(van), date.fromisoformat(until)
            if vorige_tot is not None:
                assert day == vorige_tot + timedelta(days=1), (insz, van)  # no gap, no overlap
            vorige_tot = einde
            while day <= einde:
                advies = geef_advies(
                    persona.dossier, day, Toepassing.ZORGBUDGET, Terms(), vandaag=TODAY
                )
                assert (advies.resultaat.value, advies.reden, str(advies.regel)) == (
                    resultaat,
                    reden,
                    regel,
                ), (insz, day)
                day += timedelta(days=1)
                days += 1
        assert vorige_tot == date(2026, 6, 1)
        assert days == (date(2026, 6, 1) - date(2021, 12, 1)).days + 1


def test_consumer_view_is_the_soap_service_s_answer(client):
    key = "gemeente.kortenberg.be|GEMEENTE"
    p = get_page(client, f"/console/personas/{INBREUK_OPEN}?consumer={key}")
    views = p.xpath("//section[@data-dienst='GeefDossierKBI']")
    assert [v.get("data-versie") for v in views] == ["01.00", "02.00"]
    for view in views:
        without_whitespace = etree.XMLParser(remove_blank_text=True)  # the console pretty-prints
        shown = etree.fromstring(
            view.xpath(".//pre")[0].text_content().encode(), without_whitespace
        )
        versie = view.get("data-versie")
        namespace, path = DOSSIER[versie]
        antwoord = client.post(
            path,
            data=dossier_verzoek(INBREUK_OPEN, versie),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        real = etree.fromstring(antwoord.data, without_whitespace)
        # Same reply but for what differs per call: time, the Refertes, and the caller's
        # identity echoed as Ontvanger.
        differs = (".//Tijdstip", ".//Afzender/Referte", ".//Ontvanger", ".//Antwoord/Referte")
        for tree in (shown, real):
            for pad_ in differs:
                for e in tree.findall(pad_):
                    e.getparent().remove(e)
        assert etree.tostring(shown, method="c14n") == etree.tostring(real, method="c14n")


def test_consumer_view_under_protocols_shows_the_refusal():
    client = Client(make_emulator(Settings(TODAY, protocols=True)))
    p = get_page(client, f"/console/personas/{INBREUK_OPEN}?consumer=zorgkas1.test.be|ZORGKAS")
    assert [v.get("data-code") for v in p.xpath("//section[@data-dienst='GeefDossierKBI']")] == [
        "13001",
        "13001",
    ]
    get_page(client, f"/console/personas/{INBREUK_OPEN}?consumer=nobody|X", status=400)


def test_consumer_view_shows_the_advice_a_zorgkas_gets():
    """A zorgkas's question is the advice, not the dossier: the view showed only the
    dossier's refusal. Leonard is a member of ZK01 with an open infringement (his file)."""
    client = Client(make_emulator(Settings(TODAY, protocols=True)))

    def advice(consumer: str) -> tuple[str | None, str | None, str | None]:
        p = get_page(client, f"/console/personas/{INBREUK_OPEN}?consumer={consumer}")
        (view,) = p.xpath("//section[@data-dienst='GeefAutomatischAdvies']")
        reply = etree.fromstring(view.xpath(".//pre")[0].text_content().encode())
        assert reply.findtext(".//Criteria/Datum") in (None, TODAY.isoformat())
        return (
            view.get("data-code"),
            reply.findtext(".//Advies/Resultaat"),
            reply.findtext(".//Advies/Peildatum"),
        )

    assert advice("zorgkas1.test.be|ZORGKAS") == (None, "NOK", "2025-06-01")
    assert advice("zorgkas2.test.be|ZORGKAS") == ("40104", None, None)  # not its member
    assert advice("gemeente.kortenberg.be|GEMEENTE") == ("13001", None, None)


def test_try_builds_a_request_the_service_accepts(client):
    p = get_page(
        client,
        f"/console/try?service=GeefAutomatischAdvies+01.00&insz={INBREUK_OPEN}"
        "&datum=2025-01-01&toepassing=ZORGBUDGET&afzender=zorgkas1.test.be&hoedanigheid=ZORGKAS",
    )
    envelope = p.xpath("//textarea[@id='envelope']")[0].text_content().encode()
    path = p.xpath("//code[@id='endpoint']")[0].text
    assert path == "/GeefAutomatischAdviesDienst-01.00/soap/WebService"
    antwoord = client.post(path, data=envelope, headers={"Content-Type": "text/xml"})
    repliek = etree.fromstring(antwoord.data)
    assert repliek.findtext(".//Advies/Resultaat") == "NOK"
    assert repliek.findtext(".//Advies/Reden/Code") == "INBREUK"
    assert repliek.findtext(".//Ontvanger/Identificatie") == "zorgkas1.test.be"


def test_try_says_its_requests_are_refused_where_signatures_are_checked(client):
    """Under --verify-signatures the console's requests (unsigned) get a Fault: the page
    says so before one is sent, and only there."""
    query = f"/console/try?service=GeefAutomatischAdvies+01.00&insz={INBREUK_OPEN}"
    assert not get_page(client, query).xpath("//*[@id='unsigned']")
    checking = Client(make_emulator(Settings(TODAY, verify_signatures=True)))
    p = get_page(checking, query)
    (note,) = p.xpath("//*[@id='unsigned']")
    assert "wsse:InvalidSecurity" in note.text_content()
    envelope = p.xpath("//textarea[@id='envelope']")[0].text_content().encode()
    antwoord = checking.post(
        p.xpath("//code[@id='endpoint']")[0].text,
        data=envelope,
        headers={"Content-Type": "text/xml"},
    )
    assert etree.fromstring(antwoord.data).findtext(".//faultcode") == "wsse:InvalidSecurity"


def test_try_under_protocols_asks_as_a_consumer_the_protocol_answers():
    """Its Afzender by default was the first known consumer, a municipality: under
    --protocols refused the advice (13001) and any person living elsewhere (40103)."""
    client = Client(make_emulator(Settings(TODAY, protocols=True)))

    def asked(query: str) -> tuple[str, str, list[str]]:
        p = get_page(client, f"/console/try?{query}")
        envelope = p.xpath("//textarea[@id='envelope']")[0].text_content().encode()
        antwoord = client.post(
            p.xpath("//code[@id='endpoint']")[0].text,
            data=envelope,
            headers={"Content-Type": "text/xml"},
        )
        codes = etree.fromstring(antwoord.data).xpath("//Uitzondering/Identificatie/text()")
        return (
            p.get_element_by_id("afzender").value,
            p.get_element_by_id("hoedanigheid").value,
            codes,
        )

    # 71680299836 lives nowhere and is no zorgkas's member: only AGII, and VSB, are answered
    assert asked("service=GeefDossierKBI+02.00&insz=71680299836") == (
        "integratie-inburgering.be",
        "AGII",
        [],
    )
    assert asked("service=GeefAutomatischAdvies+01.00&insz=71680299836") == (
        "vsb.vlaanderen.be",
        "VSB",
        [],
    )
    # Leonard lives in Kortenberg and is a member of ZK01 (his persona file)
    assert asked(f"service=GeefDossierKBI+02.00&insz={INBREUK_OPEN}")[:2] == (
        "gemeente.kortenberg.be",
        "GEMEENTE",
    )
    assert asked(f"service=GeefAutomatischAdvies+01.00&insz={INBREUK_OPEN}")[:2] == (
        "zorgkas1.test.be",
        "ZORGKAS",
    )
    for insz in sorted(client.application.runtime.personas):
        for service in (
            "GeefDossierKBI+01.00",
            "GeefDossierKBI+02.00",
            "GeefAutomatischAdvies+01.00",
        ):
            *_, codes = asked(f"service={service}&insz={insz}")
            assert not {"13001", "40103", "40104"} & set(codes), (insz, service, codes)
    # what is given is sent as given: the refusal is then the lesson
    assert asked(
        "service=GeefAutomatischAdvies+01.00&insz=71680299836&afzender=stad.gent.be"
        "&hoedanigheid=GEMEENTE"
    )[2] == ["13001"]


def test_try_says_what_it_cannot_send(client):
    error = get_page(client, "/console/try?insz=1%01&service=GeefDossierKBI+01.00")
    assert "cannot be sent as XML" in error.xpath("//p[@id='error']")[0].text_content()
    datum = get_page(
        client, "/console/try?service=GeefAutomatischAdvies+01.00&insz=1&datum=gisteren"
    )
    assert "'gisteren' is not a date" in datum.xpath("//p[@id='error']")[0].text_content()
    week = get_page(
        client, "/console/try?service=GeefAutomatischAdvies+01.00&insz=1&datum=2024-W01-1"
    )
    assert "'2024-W01-1' is not a date" in week.xpath("//p[@id='error']")[0].text_content()
    get_page(client, "/console/try?service=Nothing", status=400)
    # a code in another case is told the one meant
    dienst = get_page(client, "/console/try?service=geefdossierkbi+02.00", status=400)
    assert dienst.findtext(".//p[@id='error']") == (
        "service is one of GeefDossierKBI 01.00, GeefDossierKBI 02.00, GeefAutomatischAdvies"
        " 01.00; did you mean 'GeefDossierKBI 02.00'?"
    )
    toepassing = get_page(
        client, "/console/try?service=GeefAutomatischAdvies+01.00&insz=1&toepassing=zorgbudget"
    )
    assert (
        toepassing.xpath("//p[@id='error']")[0]
        .text_content()
        .endswith("; did you mean 'ZORGBUDGET'?")
    )


def test_journal_keeps_bodies_and_serves_what_is_new(client):
    client.post(
        DOSSIER["02.00"][1],
        data=dossier_verzoek(INBREUK_OPEN, "02.00"),
        headers={"Content-Type": "text/xml"},
    )
    everything = client.get("/console/journal/entries").json["entries"]
    assert [e["insz"] for e in everything] == [INBREUK_OPEN]
    number = everything[0]["id"]
    assert client.get(f"/console/journal/entries?after={number}").json["entries"] == []
    assert client.get("/console/journal/entries?insz=0&after=0").json["entries"] == []
    p = get_page(client, f"/console/journal/{number}")
    # the page names its call: "Call " alone since the entry's number was renamed
    assert (p.findtext(".//title"), p.findtext(".//h1")) == (
        f"Call {number} · console",
        f"Call {number}",
    )
    assert "<INSZ>73680599786</INSZ>" in p.xpath("//pre[@id='request-body']")[0].text_content()
    assert "Janssens" in p.xpath("//pre[@id='reply-body']")[0].text_content()
    get_page(client, "/console/journal/999", status=404)
    assert client.get("/console/journal/entries?colour=red").status_code == 400


def test_every_value_is_escaped(client):
    antwoord = client.put(
        f"/admin/personas/{XSS_INSZ}",
        data=json.dumps(XSS_PERSONA),
        headers={"Content-Type": "application/json"},
    )
    assert antwoord.status_code in (200, 201), antwoord.text
    for url in ("/console/?q=eve", f"/console/personas/{XSS_INSZ}"):
        text = client.get(url).text
        assert XSS not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_without_admin_the_console_changes_nothing():
    app = make_emulator(Settings(TODAY))
    client = Client(app)
    for path in ("/console/faults", "/console/clock"):
        assert client.get(path).status_code == 404
    regels = [r for r in app.rest.url_map.iter_rules() if r.rule.startswith("/console")]
    assert regels
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in regels)
    assert "Faults" not in client.get("/console/").text


def test_console_assets_are_local(client):
    """Nothing is loaded from elsewhere: it works offline."""
    for url in ("/console/", f"/console/personas/{INBREUK_OPEN}", "/console/journal"):
        p = get_page(client, url)
        for source in p.xpath("//script/@src | //link/@href | //img/@src"):
            assert source.startswith("/console/static/"), source


def test_a_console_address_without_a_page_gets_the_console_s_page(client):
    """A browser at /console/personas/ (the INSZ taken off the address) got the REST face's
    JSON; now the console's own page, with its menu and the address as text."""
    for path in ("/console/personas/", "/console/nothing", "/console/<b>x</b>"):
        p = get_page(client, path, status=404)
        assert p.findtext(".//p[@id='error']") == f"There is no page {path} in the console."
        assert p.xpath("//nav//a[@href='/console/']"), "the menu"
        assert not p.xpath("//main//b")
    assert client.get("/nothing").json["code"] == "NOT_FOUND"  # outside it: JSON, as before
    # a page's address mistyped is told the one meant
    p = get_page(client, "/console/persona/98630499724", status=404)
    assert p.findtext(".//p[@id='error']") == (
        "There is no page /console/persona/98630499724 in the console; did you mean"
        " /console/personas/98630499724?"
    )


def test_a_persona_s_address_with_its_insz_as_printed_leads_to_its_page(client):
    """The console prints INSZs as 98.63.04-997.24, and a user pastes them so: a 404."""
    antwoord = client.get("/console/personas/98.63.04-997.24?consumer=x")
    assert antwoord.status_code == 302
    assert antwoord.headers["Location"] == "/console/personas/98630499724?consumer=x"
    p = get_page(client, "/console/personas/98.63.04-997.25", status=404)  # not a persona's
    assert p.findtext(".//p[@id='error']") == (  # nor an INSZ: a digit mistyped
        "no persona with INSZ 98.63.04-997.25, which is no INSZ: the check digits are 25;"
        " modulo 97 asks for 24 (born before 2000) or 53 (born from 2000 on)"
    )
    p = get_page(client, "/console/personas/87670380543", status=404)  # an INSZ, no persona's
    assert p.findtext(".//p[@id='error']") == "no persona with INSZ 87670380543"
    # a digit left out or one too many: said so, not left to count
    for path, count in (
        ("/console/personas/9863049972", 10),
        ("/console/personas/98.63.04-997.244", 12),
    ):
        p = get_page(client, path, status=404)
        assert p.findtext(".//p[@id='error']").endswith(
            f", which is no INSZ: {count} digits, where an INSZ has 11"
        )
    p = get_page(client, "/console/personas/6721400144", status=404)  # a spreadsheet's number
    assert p.findtext(".//p[@id='error']") == (
        "no persona with INSZ 6721400144, which is no INSZ: 10 digits, where an INSZ has 11; a"
        " spreadsheet drops a number's first 0: did you mean 06721400144?"
    )
    p = get_page(client, "/console/personas/Daoud", status=404)  # a name: no count of digits
    assert p.findtext(".//p[@id='error']") == "no persona with INSZ Daoud"
    # searched for: said under the empty list
    p = get_page(client, "/console/?q=98630499725")
    assert p.findtext(".//td[@id='none']") == (
        "No persona matches. 98630499725 is no INSZ: the check digits are 25; modulo 97 asks"
        " for 24 (born before 2000) or 53 (born from 2000 on)."
    )
    assert (
        get_page(client, "/console/?q=zzz").findtext(".//td[@id='none']") == "No persona matches."
    )
    p = get_page(client, "/console/?result=nok", status=400)
    assert p.findtext(".//p[@id='error']") == (
        "result is OK, NOK or empty, not 'nok'; did you mean 'NOK'?"
    )


def test_with_an_admin_token_the_journal_s_data_needs_it():
    """The console shows the journal the admin API guards: with a token, the same token."""
    client = Client(make_emulator(Settings(TODAY, admin=True, admin_token="geheim")))
    client.post(
        DOSSIER["02.00"][1],
        data=dossier_verzoek(INBREUK_OPEN, "02.00"),
        headers={"Content-Type": "text/xml"},
    )
    for path in ("/console/journal/entries", "/console/journal/1"):
        without = client.get(path)
        assert without.status_code == 401
        assert without.json["code"] == "ADMIN_TOKEN_REQUIRED"
        met = client.get(path, headers={"Authorization": "Bearer geheim"})
        assert met.status_code == 200
    assert (
        client.get("/console/journal/entries", headers={"Host": "evil.example"}).status_code == 421
    )
    assert client.get("/console/journal").status_code == 200  # the page itself holds no data


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/console/?page=99999999999999999999", 400),
        ("/console/journal/entries?after=99999999999999999999999", 400),
        ("/console/journal/entries?after=-1", 400),
        ("/console/journal/99999999999999999999999", 404),
    ],
)
@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_numbers_beyond_any_id_or_page_are_refused_not_a_500(tmp_path, store, url, status):
    client = Client(make_emulator(_settings(tmp_path, store)))
    assert client.get(url).status_code == status


def _settings(tmp_path, store: str) -> Settings:
    """The sqlite store keeps the journal and the faults in 64-bit INTEGER columns."""
    shop = f"sqlite:///{tmp_path / 'store.db'}" if store == "sqlite" else None
    return Settings(TODAY, admin=True, store=shop)


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_a_fault_id_beyond_any_id_is_unknown_not_a_500(tmp_path, store):
    client = Client(make_emulator(_settings(tmp_path, store)))
    antwoord = client.delete(
        "/admin/faults/99999999999999999999999", headers={"Content-Type": "application/json"}
    )
    assert antwoord.status_code == 404
    assert antwoord.json["code"] != "INTERNAL_ERROR"


def test_today_at_the_end_of_its_range_shows_every_page(client):
    """The clock's range ends in 2100: the timeline walks every day from 2022 to a year
    after today (at 9999-12-31 it was a 500, at 2500 five seconds a page)."""
    antwoord = client.put(
        "/admin/clock", json={"today": "2100-12-31"}, headers={"Content-Type": "application/json"}
    )
    assert antwoord.status_code == 200
    for url in ("/console/", f"/console/personas/{INBREUK_OPEN}", "/console/journal"):
        assert client.get(url).status_code == 200, url
    for outside in ("2101-01-01", "9999-12-31", "1999-12-31"):
        antwoord = client.put(
            "/admin/clock", json={"today": outside}, headers={"Content-Type": "application/json"}
        )
        assert antwoord.status_code == 422
        assert antwoord.json["diagnose"] == (
            f"{outside!r} is not a date from 2000-01-01 to 2100-12-31 (YYYY-MM-DD)"
        )


def test_the_clock_page_offers_the_days_the_clock_takes(client):
    field = get_page(client, "/console/clock").xpath("//input[@id='clock-date']")[0]
    assert (field.get("min"), field.get("max")) == ("2000-01-01", "2100-12-31")


def test_the_journal_offers_the_operations_its_filter_takes(client):
    """The operation filter is typed; a typo is refused. The page offers what it takes."""
    p = get_page(client, "/console/journal")
    offered = p.xpath("//datalist[@id='operations']/option/@value")
    assert {"GeefDossierKBI", "GeefAutomatischAdvies", "lijst-gemeente", "admin PUT"} <= set(
        offered
    )
    for operation in offered:
        antwoord = client.get("/console/journal/entries", query_string={"operation": operation})
        assert antwoord.status_code == 200, (operation, antwoord.text)
    assert p.xpath("//input[@name='operation']/@list") == ["operations"]


def test_try_sends_the_mutaties_context_chosen(client):
    """It always sent MutatiesContext true (the XSD's default): a question that does not
    follow a mutation notification could not be tried, nor its journal entry seen."""

    def sent(query: str) -> str | None:
        p = get_page(
            client, f"/console/try?service=GeefDossierKBI+02.00&insz={INBREUK_OPEN}{query}"
        )
        envelope = etree.fromstring(
            p.xpath("//textarea[@id='envelope']")[0].text_content().encode()
        )
        return envelope.findtext(".//Inhoud/MutatiesContext")

    assert sent("") == "true"
    assert sent("&mutaties_context=false") == "false"
    assert sent("&mutaties_context=true") == "true"
    p = get_page(client, "/console/try?service=GeefDossierKBI+02.00&mutaties_context=false")
    assert p.xpath("//select[@id='mutaties_context']/option[@selected]/text()") == ["false"]
    get_page(client, f"/console/try?insz={INBREUK_OPEN}&mutaties_context=maybe", status=400)


def test_behind_a_proxy_under_a_path_every_address_the_console_gives_has_the_prefix():
    """A shared test environment serves the emulator under a path (https://gw/emu/ to
    serve's /) and says so in X-Forwarded-Prefix: the WSDLs followed it (--proxy-headers),
    the console did not: its links, its redirects, the try page's endpoint and the admin
    calls of its scripts went to https://gw/console/..., outside the emulator."""
    client = Client(make_emulator(Settings(TODAY, admin=True, proxy_headers=True)))
    proxy = {
        "X-Forwarded-Prefix": "/emu",
        "X-Forwarded-Host": "gw.example",
        "X-Forwarded-Proto": "https",
    }
    root = client.get("/", headers={**proxy, "Accept": "text/html"})
    assert (root.status_code, root.headers["Location"]) == (302, "/emu/console/")
    index = client.get("/", headers=proxy).json  # a program: where everything is, there
    assert index["wsdl"][0] == "/emu/GeefDossierKBIDienst-01.00/soap/WebService?wsdl"
    assert (index["console"], index["admin"], index["health"]) == (
        "/emu/console/",
        "/emu/admin/",
        "/emu/health",
    )
    pages = [
        "/console/",
        f"/console/personas/{INBREUK_OPEN}",
        f"/console/try?service=GeefAutomatischAdvies+01.00&insz={INBREUK_OPEN}&datum=2024-01-01",
        "/console/journal",
        "/console/faults",
        "/console/clock",
    ]
    for page in pages:
        answer = client.get(page, headers=proxy)
        assert answer.status_code == 200, (page, answer.status_code)
        doc = html.fromstring(answer.data)
        addresses = [
            value
            for element in doc.iter()
            for name in ("href", "src", "action", "data-endpoint")
            if (value := element.get(name)) is not None and not value.startswith("#")
        ]
        assert addresses and all(a.startswith("/emu/") for a in addresses), (page, addresses)
        assert doc.find("body").get("data-root") == "/emu"  # the scripts' admin calls
    tried = html.fromstring(client.get(pages[2], headers=proxy).data).get_element_by_id("curl")
    assert tried.get("data-base") + tried.get("data-endpoint") == (
        "https://gw.example/emu/GeefAutomatischAdviesDienst-01.00/soap/WebService"
    )
    # a prefix that is no path is not taken (an open redirect, '//elsewhere.example')
    elsewhere = client.get(
        "/", headers={"X-Forwarded-Prefix": "//elsewhere.example", "Accept": "text/html"}
    )
    assert elsewhere.headers["Location"] == "/console/"
    # without --proxy-headers the headers are not read
    direct = Client(make_emulator(Settings(TODAY, admin=True)))
    assert direct.get("/", headers={**proxy, "Accept": "text/html"}).headers["Location"] == (
        "/console/"
    )


def _accessible_name(page: html.HtmlElement, control: html.HtmlElement) -> str:
    """The name a screen reader gives a form control, as HTML-AAM computes it in the ways the
    console uses: aria-labelledby, aria-label, a label around it or for its id. A placeholder
    is no name (it goes once the field is filled)."""
    if control.get("aria-labelledby"):
        return " ".join(
            page.get_element_by_id(i).text_content() for i in control.get("aria-labelledby").split()
        ).strip()
    if control.get("aria-label"):
        return control.get("aria-label").strip()
    labels = [a for a in control.iterancestors("label")]
    if control.get("id"):
        labels += page.xpath("//label[@for=$id]", id=control.get("id"))
    return " ".join(label.text_content() for label in labels).strip()


def test_every_control_and_column_of_every_console_page_has_a_name(client):
    """A screen reader read the try page's request, the journal's kind filter and the clock's
    date as a nameless field, and the faults table's last column as an empty header (axe
    4.14 in Chromium: 'Form elements must have labels'); the journal's text filters had
    only placeholders."""
    pages = [
        "/console/",
        f"/console/personas/{INBREUK_OPEN}",
        f"/console/try?service=GeefAutomatischAdvies+01.00&insz={INBREUK_OPEN}&datum=2024-01-01",
        f"/console/try?service=GeefDossierKBI+02.00&insz={INBREUK_OPEN}",
        "/console/journal",
        "/console/faults",
        "/console/clock",
    ]
    for url in pages:
        page = get_page(client, url)
        controls = page.xpath(
            "//select | //textarea"
            " | //input[not(@type='hidden' or @type='submit' or @type='button')]"
        )
        assert controls or url == "/console/", url
        nameless = [
            etree.tostring(c, encoding="unicode")[:80]
            for c in controls
            if not _accessible_name(page, c)
        ]
        assert nameless == [], url
        assert all(th.text_content().strip() for th in page.iter("th")), url
