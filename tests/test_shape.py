"""A request of a known shape (wire/shape.py) is answered without being parsed and validated
again, and only then: the same bytes as the full path, and every other request still
validated."""

import re
from datetime import date

import pytest

from magda_kbi.adapters.app import Settings, make_emulator
from magda_kbi.io.personas import persona_from_data
from magda_kbi.runtime.diensten import Dienst
from magda_kbi.wire.shape import Shape, matched, pattern, probe, shape, valid_values

from .soap import (
    NS_DOSSIER_SERVICE,
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_DOSSIER_02,
    PATH_GENERIC,
    advies_verzoek,
    dossier_verzoek,
    wsgi_environ,
)

TIJDSTIP = b"<Datum>2024-01-01</Datum><Tijd>10:00:00.000</Tijd>"


def with_tijdstip(body: bytes, datum: bytes, tijd: bytes) -> bytes:
    return body.replace(TIJDSTIP, b"<Datum>" + datum + b"</Datum><Tijd>" + tijd + b"</Tijd>")


def test_two_calls_of_one_question_have_one_shape():
    a = shape(dossier_verzoek("98630499724", referte="eerste"))
    b = shape(with_tijdstip(dossier_verzoek("98630499724", referte="r-2"), b"2026-11-28", b"23:59"))
    assert a[0] == b[0]
    assert (a[1], a[2]) == ([b"eerste", b"eerste"], [b"2024-01-01", b"10:00:00.000"])
    assert (b[1], b[2]) == ([b"r-2", b"r-2"], [b"2026-11-28", b"23:59"])
    assert (a.inszs, b.inszs) == ([b"98630499724"], [b"98630499724"])
    another = shape(dossier_verzoek("73680599786", referte="eerste"))  # another person
    assert (another.key, another.inszs) == (a.key, [b"73680599786"])
    assert shape(advies_verzoek("73680599786", "2024-01-01")).key != a.key


def test_the_probe_marks_each_hole():
    body = advies_verzoek("73680599786", "2024-01-01", referte="r")
    assert probe(body) == body.replace(
        b"<Referte>r</Referte>", b"<Referte>p0</Referte>", 1
    ).replace(b"<Referte>r</Referte>", b"<Referte>p1</Referte>").replace(
        b"<INSZ>73680599786</INSZ>", b"<INSZ>00000000000</INSZ>"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE x><x/>',
        b"<x><!-- <Referte>a</Referte> --></x>",
        b"<x><![CDATA[<Referte>a</Referte>]]></x>",
        b"<x><?pi <Referte>a</Referte>?></x>",
        b"<x>\x00</x>",
    ],
)
def test_bodies_with_markup_that_can_hide_elements_have_no_shape(body):
    assert shape(body) is None


@pytest.mark.parametrize(
    ("refertes", "tijdstip", "valid"),
    [
        ([b"a", b"x" * 36], [b"2024-02-29", b"10:00"], True),
        ([b"x" * 37], [b"2024-01-01", b"10:00"], False),  # ReferteType: at most 36
        ([b""], [b"2024-01-01", b"10:00"], False),  # at least 1
        ([b"a b"], [b"2024-01-01", b"10:00"], False),  # whitespace: the long way
        ([b"a&amp;b"], [b"2024-01-01", b"10:00"], False),  # an entity: the long way
        ([b"a"], [b"2023-02-29", b"10:00"], True),  # no such day, yet the real pattern's
        ([b"a"], [b"2024-19-39", b"10:00"], True),  # (a string, as the real DatumType)
        ([b"a"], [b"2024-20-01", b"10:00"], False),  # the month's first digit 0-1
        ([b"a"], [b"2024-01-40", b"10:00"], False),  # the day's 0-3
        ([b"a"], [b"2999-12-31", b"10:00"], True),
        ([b"a"], [b"9999-12-31", b"10:00"], True),
        ([b"a"], [b"3000-01-01", b"10:00"], False),  # DatumType: the year's first digit 0-2, 9
        ([b"a"], [b"2024-1-01", b"10:00"], False),
        ([b"a"], [b"2024-01-01", b"10:0"], False),  # TijdType's pattern
        ([b"a"], [b"2024-01-01", b"10:00:00.00"], False),
    ],
)
def test_only_values_of_their_xsd_type_are_taken(refertes, tijdstip, valid):
    assert valid_values(Shape(b"", refertes, tijdstip, [b"98630499724"])) is valid


@pytest.mark.parametrize(
    ("insz", "valid"),
    [
        (b"98630499724", True),
        (b"98630499725", True),  # modulo 97 is checked per call, not by the type
        (b"9863049972", False),  # INSZType: eleven digits
        (b"986304997244", False),
        (b" 98630499724", False),  # an xs:string: the space stays and fails the pattern
        (b"9863049972a", False),
        (b"&#57;8630499724", False),  # a character reference: the long way
        # INSZType takes any script's digits; the INSZ check on the long way refuses them
        ("٩٨٦٣٠٤٩٩٧٢٤".encode(), False),
    ],
)
def test_only_an_insz_of_its_xsd_type_is_taken(insz, valid):
    assert valid_values(Shape(b"", [b"a"], [b"2024-01-01", b"10:00"], [insz])) is valid


LEARNED = dossier_verzoek("98630499724", referte="eerste")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (LEARNED, ((b"eerste", b"eerste"), b"98630499724")),
        (
            with_tijdstip(
                dossier_verzoek("73680599786", referte="A-9.z:_"), b"2026-11-28", b"23:59"
            ),
            ((b"A-9.z:_", b"A-9.z:_"), b"73680599786"),
        ),
        (dossier_verzoek("98630499724", referte="x" * 37), None),  # ReferteType: at most 36
        (dossier_verzoek("98630499724", referte="a b"), None),
        (dossier_verzoek("9863049972", referte="eerste"), None),  # INSZType: eleven digits
        (dossier_verzoek(" 98630499724", referte="eerste"), None),
        (  # no such day, yet of the real DatumType's pattern (a string): taken
            with_tijdstip(LEARNED, b"2024-02-30", b"10:00"),
            ((b"eerste", b"eerste"), b"98630499724"),
        ),
        (with_tijdstip(LEARNED, b"2024-20-01", b"10:00"), None),  # not DatumType's pattern
        (with_tijdstip(LEARNED, b"2024-01-01", b"25:61"), None),  # not TijdType
        (with_tijdstip(LEARNED, b"2024-01-01", b"10:00:00.00"), None),
        (LEARNED.replace(b"<Tijdstip>", b"<Tijdstip> "), None),  # other bytes: another shape
        (LEARNED.replace(b"<INSZ>", b"<INSZ >"), None),
        (LEARNED.replace(b"false", b"true"), None),
        (LEARNED + b" ", None),  # matched in full, not a prefix
        (dossier_verzoek("98630499724", "02.00", referte="eerste"), None),
    ],
)
def test_a_learnt_shape_s_pattern_takes_what_shape_and_valid_values_take(body, expected):
    """One match of the pattern says what building the shape, looking its key up and checking
    its values says: the same bytes but for the holes, each value of its type."""
    assert matched(pattern(LEARNED), body) == expected
    learned, found = shape(LEARNED), shape(body)
    same = found.key == learned.key and valid_values(found)
    assert same is (expected is not None)


def test_only_a_shape_with_one_tijdstip_and_one_insz_has_a_pattern():
    assert pattern(LEARNED.replace(b"</INSZ>", b"</INSZ><INSZ>73680599786</INSZ>")) is None
    assert pattern(LEARNED.replace(b"<INSZ>", b"<INSZ >")) is None
    double = b"<Tijdstip><Datum>2024-01-01</Datum><Tijd>10:00</Tijd></Tijdstip>"
    assert pattern(LEARNED.replace(b"<Vraag>", b"<Vraag>" + double)) is None
    assert pattern(b"<x><!-- --></x>") is None  # no shape at all


# -- over the WSGI application ---------------------------------------------------------

FAST = make_emulator(Settings(today=date(2030, 1, 1)))
# The full way for every request: spyne, the parse, the XSD, the reply built (no shape, no
# template; its envelope is byte for byte the direct path's, tests/test_direct_path.py)
FULL = make_emulator(Settings(today=date(2030, 1, 1), direct=False))
UNPREDICTABLE = [
    (re.compile(rb"(<Naam>MagdaGateway</Naam><Referte>)[0-9a-f-]{36}"), rb"\1uuid"),
    (re.compile(rb"<Tijdstip><Datum>[^<]*</Datum><Tijd>[^<]*</Tijd>"), b"<Tijdstip>"),
]


def call(app, path: str, body: bytes) -> bytes:
    antwoord = b"".join(app(wsgi_environ(path, body), lambda s, h, e=None: None))
    for pattern_, replacement in UNPREDICTABLE:
        antwoord = pattern_.sub(replacement, antwoord)
    return antwoord


@pytest.fixture
def read_counter(monkeypatch):
    """How many requests were parsed and checked (Dienst.read_valid)."""
    number_of = [0]
    original = Dienst.read_valid

    def count(self, *args):
        number_of[0] += 1
        return original(self, *args)

    monkeypatch.setattr(Dienst, "read_valid", count)
    return number_of


def vragen(insz: str, referte: str) -> list[tuple[str, bytes]]:
    return [
        (PATH_DOSSIER, dossier_verzoek(insz, referte=referte)),
        (PATH_DOSSIER_02, dossier_verzoek(insz, "02.00", referte=referte)),
        *(
            (PATH_GENERIC, dossier_verzoek(insz, v, namespace=ns, referte=referte))
            for v, ns in NS_DOSSIER_SERVICE.items()
        ),
        (PATH_ADVIES, advies_verzoek(insz, "2024-01-01", referte=referte)),
    ]


@pytest.mark.parametrize("insz", sorted(FAST.runtime.personas) + ["80651439361"])
def test_a_known_shape_gets_the_full_paths_reply(insz, read_counter):
    for path, body in vragen(insz, "eerste"):  # teaches the shapes
        assert call(FAST, path, body) == call(FULL, path, body)
    learned = read_counter[0]
    persona = FAST.runtime.personas.get(insz)
    for path, body in vragen(insz, "tweede-referte"):
        new = with_tijdstip(body, b"2026-11-28", b"08:15:30")
        expected = call(FULL, path, new)
        assert call(FAST, path, new) == expected
        if persona is None or persona.fout != "SOAP_FAULT":
            assert b"<Referte>tweede-referte</Referte>" in expected
    if persona is None or not persona.fout:  # error personas never have a template
        assert read_counter[0] == learned  # the second round: SNEL parsed none


@pytest.mark.parametrize("day", [b"2999-12-31", b"3000-01-01", b"8999-12-31", b"9999-12-31"])
def test_a_known_shape_with_any_tijdstip_gets_the_full_paths_reply(day):
    """The real DatumType takes a year whose first digit is 0, 1, 2 or 9: a learnt shape
    took every year, so a Tijdstip in 3000 the full path refuses was answered."""
    app = make_emulator(Settings(today=date(2030, 1, 1)))
    for path, body in vragen("98630499724", "eerste"):  # teaches the shapes
        assert call(app, path, body) == call(FULL, path, body)
    for path, body in vragen("98630499724", "tweede"):
        new = with_tijdstip(body, day, b"08:15:30")
        assert call(app, path, new) == call(FULL, path, new), path
        assert (b"<Identificatie>40001</Identificatie>" in call(FULL, path, new)) is (
            day in (b"3000-01-01", b"8999-12-31")
        )


def test_a_known_shape_about_another_person_gets_the_full_paths_reply(read_counter):
    app = make_emulator(Settings(today=date(2030, 1, 1)))
    for path, body in vragen("98630499724", "eerste"):  # teaches the shapes, with one person
        assert call(app, path, body) == call(FULL, path, body)
    assert len(app.shapes) == len(vragen("98630499724", "x"))
    for insz in sorted(app.runtime.personas) + ["80651439361"]:  # and a number not in the KBI
        persona = app.runtime.personas.get(insz)
        before = read_counter[0]
        for path, body in vragen(insz, "tweede-referte"):
            new = with_tijdstip(body, b"2026-11-28", b"08:15:30")
            assert call(app, path, new) == call(FULL, path, new), (insz, path)
        if persona is None or not persona.fout:  # app parsed none of them
            assert read_counter[0] == before, insz
    assert len(app.shapes) == len(vragen("98630499724", "x"))  # nothing more learnt


def test_more_shapes_on_one_path_than_are_tried_first_are_each_answered_unparsed(
    read_counter,
):
    """The last shapes answered from are tried first, as patterns; any other known shape is
    found by its key, and every reply is still the full path's."""
    app = make_emulator(Settings(today=date(2030, 1, 1)))

    def body(n: int, referte: str) -> bytes:  # each Hoedanigheid another shape
        return dossier_verzoek("98630499724", referte=referte).replace(
            b"<Hoedanigheid>1234<", b"<Hoedanigheid>%d<" % (1000 + n)
        )

    for n in range(10):
        assert call(app, PATH_DOSSIER, body(n, "eerste")) == call(
            FULL, PATH_DOSSIER, body(n, "eerste")
        )
    assert len(app.shapes) == 10
    learned = read_counter[0]
    for round_ in range(3):
        for n in (*range(10), 9, 9, 0):
            new = body(n, f"r{round_}-{n}")
            assert call(app, PATH_DOSSIER, new) == call(FULL, PATH_DOSSIER, new)
    assert read_counter[0] == learned  # none parsed again
    assert len(app.shapes) == 10


def test_an_insz_failing_modulo_97_in_a_known_shape_is_refused_as_ever():
    app = make_emulator(Settings(today=date(2030, 1, 1)))
    for path, body in vragen("98630499724", "eerste"):
        call(app, path, body)
    for path, body in vragen("98630499725", "tweede"):  # the last digit off by one
        antwoord = call(app, path, body)
        assert antwoord == call(FULL, path, body)
        assert b"<Identificatie>40002</Identificatie>" in antwoord
        assert b"98630499725 is geen geldig INSZ (controle modulo 97)" in antwoord


def test_an_insz_element_the_shape_cannot_see_is_never_a_hole():
    """``<INSZ >`` is the same element to a parser but not to the shape's pattern: such a
    request has no INSZ hole, so its shape is not kept, and a second such request about
    another person is answered about that person."""
    app = make_emulator(Settings(today=date(2030, 1, 1)))
    for insz in ("98630499724", "73680599786"):
        body = advies_verzoek(insz, "2024-01-01").replace(b"<INSZ>", b"<INSZ >")
        assert shape(body).inszs == []
        assert call(app, PATH_ADVIES, body) == call(FULL, PATH_ADVIES, body)
    assert not app.shapes


def test_a_value_outside_its_type_is_validated_as_ever(read_counter):
    body = dossier_verzoek("98630499724", referte="eerste")
    call(FAST, PATH_DOSSIER, body)
    for bad, code in (
        (dossier_verzoek("98630499724", referte="x" * 37), b"40001"),  # ReferteType: too long
        (with_tijdstip(body, b"2024-20-01", b"10:00"), b"40001"),  # not DatumType's pattern
        (with_tijdstip(body, b"2024-01-01", b"25:61"), b"40001"),  # not TijdType
        (dossier_verzoek("9863049972", referte="eerste"), b"40002"),  # INSZType: ten digits
        (dossier_verzoek(" 98630499724", referte="eerste"), b"40002"),
    ):
        antwoord = call(FAST, PATH_DOSSIER, bad)
        assert antwoord == call(FULL, PATH_DOSSIER, bad)
        assert b"<Identificatie>" + code + b"</Identificatie>" in antwoord


def test_runtime_changes_hold_for_a_known_shape():
    app = make_emulator(Settings(today=date(2023, 3, 1)))
    first = advies_verzoek("79652599875", "2023-06-01", referte="r1")
    second = advies_verzoek("79652599875", "2023-06-01", referte="r2")
    for _ in range(3):  # learnt, decided, answered from the decision kept
        assert b"<Code>INBREUK</Code>" in call(app, PATH_ADVIES, first)
    assert app.shapes
    app.runtime.clock.fixed = date(2030, 1, 1)  # the remedy (2023-05-15) is now known
    assert b"<Resultaat>OK</Resultaat>" in call(app, PATH_ADVIES, second)
    app.runtime.faults.add({"kind": "99996", "count": 1})
    assert b"<Identificatie>99996</Identificatie>" in call(app, PATH_ADVIES, second)
    assert b"<Resultaat>OK</Resultaat>" in call(app, PATH_ADVIES, second)


def test_the_journal_has_each_calls_values():
    app = make_emulator(Settings(today=date(2030, 1, 1), admin=True))
    call(app, PATH_DOSSIER, dossier_verzoek("98630499724", referte="eerste"))
    call(app, PATH_DOSSIER, dossier_verzoek("98630499724", referte="tweede"))
    first, second = (r.as_json() for r in app.runtime.journal.read())
    assert (first["referte"], second["referte"]) == ("eerste", "tweede")
    for field in ("operation", "afzender", "hoedanigheid", "insz", "result", "mutaties_context"):
        assert first[field] == second[field]


def test_the_journal_names_each_person_and_advice_of_a_shared_shape():
    """One shape and one advice template serve many people: each call's entry is still its
    own (INSZ, result, deciding rule), as the full path journals it."""
    fast = make_emulator(Settings(today=date(2030, 1, 1), admin=True))
    full = make_emulator(Settings(today=date(2030, 1, 1), admin=True, direct=False))
    inszs = sorted(fast.runtime.personas) + ["80651439361"]
    for app in (fast, full):
        for insz in inszs:
            for path, body in vragen(insz, "r"):
                call(app, path, body)
    assert len(fast.shapes) == len(vragen("x", "r"))

    def without_time(app) -> list[dict]:
        gone = {"id", "time", "latency_ms", "referte"}
        return [
            {k: v for k, v in r.as_json().items() if k not in gone}
            for r in app.runtime.journal.read()
        ]

    expected = without_time(full)
    assert without_time(fast) == expected
    advies = [r for r in expected if r["operation"] == "GeefAutomatischAdvies"]
    assert {r["insz"] for r in advies} == set(inszs)
    assert {r["result"] for r in advies} >= {
        "OK",
        "NOK GEEN_AANMELDING",
        "NOK GEEN_CONTRACT",
        "NOK INBREUK",
    }
    dossier = [r for r in expected if r["operation"] == "GeefDossierKBI"]
    assert {r["result"] for r in dossier} >= {"DOSSIER", "UITZONDERING 30001"}


def test_the_same_question_again_takes_the_persona_s_template_without_the_advice(monkeypatch):
    """The shared advice template is found through the advice, which costs computing it;
    the same question about the same person again finds its template by the persona."""
    from magda_kbi.runtime import decision

    computed = []
    original = decision.geef_advies

    def count(*args, **kwargs):
        computed.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(decision, "geef_advies", count)
    app = make_emulator(Settings(today=date(2030, 1, 1)))
    for n in range(3):
        call(app, PATH_ADVIES, advies_verzoek("73680599786", "2024-01-01", referte=f"r{n}"))
    assert len(computed) == 1
    call(app, PATH_ADVIES, advies_verzoek("98630499724", "2024-01-01", referte="r"))
    assert len(computed) == 2  # another person: the advice is computed, the reply shared


def test_a_persona_changed_or_removed_at_runtime_is_answered_anew_in_a_known_shape():
    """A shape's decision about a person is kept only while that persona (the same object)
    and the day are the same: a change through the admin API is answered at once."""
    fast = make_emulator(Settings(today=date(2030, 1, 1)))
    full = make_emulator(Settings(today=date(2030, 1, 1), direct=False))
    insz = "98630499724"

    def both(referte: str) -> bytes:
        body = dossier_verzoek(insz, referte=referte)
        antwoord = call(fast, PATH_DOSSIER, body)
        assert antwoord == call(full, PATH_DOSSIER, body)
        return antwoord

    for n in range(3):  # learnt, decided, answered from the decision kept
        assert b"Nieuwenhuis" not in both(f"r{n}")
    new = persona_from_data(
        {
            "insz": insz,
            "scenario": "renamed at runtime",
            "dossier": {"personalia": {"achternamen": ["Nieuwenhuis"]}},
        }
    )
    for app in (fast, full):
        app.runtime.set_persona(new)
    assert b"Nieuwenhuis" in both("na-wijziging")
    assert b"Nieuwenhuis" in both("nog-eens")
    for app in (fast, full):
        app.runtime.remove_persona(insz)
    assert b"<Identificatie>30001</Identificatie>" in both("na-verwijdering")
    for app in (fast, full):
        app.runtime.reset()
    antwoord = both("na-reset")
    assert b"Nieuwenhuis" not in antwoord and b"<KBIDossier>" in antwoord


def test_the_same_person_in_a_known_shape_again_is_not_decided_again(monkeypatch):
    """The decision kept per shape and person serves while nothing it depends on changed:
    no persona lookup beyond the identity check, no protocol step, no template key."""
    from magda_kbi.runtime import diensten

    app = make_emulator(Settings(today=date(2030, 1, 1)))
    for insz in ("98630499724", "73680599786"):  # learnt (one shape), then each decided once
        for n in range(2):
            call(app, PATH_DOSSIER, dossier_verzoek(insz, referte=f"r{n}"))
    besluiten = []
    original = diensten.decide

    def count(*args, **kwargs):
        besluiten.append(args[1].insz)
        return original(*args, **kwargs)

    monkeypatch.setattr(diensten, "decide", count)
    for n in range(3):
        for insz in ("98630499724", "73680599786"):
            antwoord = call(app, PATH_DOSSIER, dossier_verzoek(insz, referte=f"opnieuw-{n}"))
            assert b"<Referte>opnieuw-%d</Referte>" % n in antwoord
            assert b"<INSZ>" + insz.encode() + b"</INSZ>" in antwoord
    assert besluiten == []
    call(app, PATH_DOSSIER, dossier_verzoek("85610100147", referte="nieuw"))  # not yet decided
    assert besluiten == ["85610100147"]


def test_the_afzender_s_and_the_vraag_s_referte_each_go_to_their_place():
    """Two Refertes of a known shape are two holes: each call's own values, each where the
    full path puts it."""
    app = make_emulator(Settings(today=date(2030, 1, 1)))

    def body(afzender: str, vraag: str) -> bytes:
        b = dossier_verzoek("98630499724", referte=afzender)
        return b.replace(
            b"<Vraag><Referte>" + afzender.encode(), b"<Vraag><Referte>" + vraag.encode()
        )

    for n in range(4):  # learnt, decided, then answered from the decision kept
        verzoek = body(f"afzender-{n}", f"vraag-{n}")
        antwoord = call(app, PATH_DOSSIER, verzoek)
        assert antwoord == call(FULL, PATH_DOSSIER, verzoek)
        assert b"<Referte>vraag-%d</Referte>" % n in antwoord
        assert b"<Referte>afzender-%d</Referte>" % n in antwoord
    assert app.shapes


def test_the_known_shapes_are_bounded_and_the_oldest_goes_first(monkeypatch):
    from magda_kbi.adapters import known_shapes

    monkeypatch.setattr(known_shapes, "MAX_SHAPES", 3)
    app = make_emulator(Settings(today=date(2030, 1, 1)))

    def body(n: int) -> bytes:  # each Hoedanigheid another shape
        return dossier_verzoek("98630499724", referte=f"r{n}").replace(
            b"<Hoedanigheid>1234<", b"<Hoedanigheid>%d<" % (1000 + n)
        )

    for n in range(5):
        call(app, PATH_DOSSIER, body(n))
    assert [k.request.call.hoedanigheid for k in app.shapes] == ["1002", "1003", "1004"]
