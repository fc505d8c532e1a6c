"""The advice rule set v1, rule by rule and on its boundaries (pure domain, no server)."""

from datetime import date

import pytest

from magda_kbi.domain.advies import (
    Reden,
    Resultaat,
    Terms,
    Toepassing,
    geef_advies,
    peildatum,
    plus_months,
)
from magda_kbi.domain.dossier import (
    Aanmelding,
    Attest,
    Code,
    Contract,
    Doelgroep,
    DoelgroepCode,
    DoelgroepType,
    Inbreuk,
    KbiDossier,
    Periode,
    Personalia,
    RechtzettingsFormulier,
    Uitstel,
)

BEGIN = date(2022, 3, 1)


def dossier(**kw) -> KbiDossier:
    kw.setdefault("doelgroepen", (plicht(),))
    return KbiDossier(insz="80651126387", personalia=Personalia(("Test",)), **kw)


def plicht(begin=BEGIN, einde=None, type=DoelgroepType.PLICHT, code=DoelgroepCode.JA, **kw):
    return Doelgroep(code=code, type=type, periode=Periode(begin, einde), **kw)


def advies(d, day, toepassing=Toepassing.ZORGBUDGET, **kw):
    a = geef_advies(d, day, toepassing, **kw)
    return a.resultaat.value, (a.reden.value if a.reden else None), a.regel


def test_rule_1_before_2022_is_always_ok():
    d = dossier(doelgroepen=(plicht(date(2020, 1, 1)),))
    assert advies(d, date(2021, 12, 31)) == ("OK", None, 1)
    assert advies(d, date(2022, 1, 1)) == ("NOK", "GEEN_AANMELDING", 7)


def test_rule_2_no_dossier():
    assert advies(None, date(2024, 1, 1)) == ("OK", None, 2)


@pytest.mark.parametrize(
    "doelgroep",
    [
        plicht(type=DoelgroepType.RECHT),
        plicht(type=DoelgroepType.MINDERJARIG),
        plicht(type=DoelgroepType.GEEN),
        plicht(type=DoelgroepType.NADER_TE_BEPALEN),
        plicht(code=DoelgroepCode.NEE),
        plicht(code=DoelgroepCode.NADER_TE_BEPALEN),
        plicht(einde=date(2022, 12, 31)),
        plicht(begin=date(2025, 1, 1)),
    ],
)
def test_rule_3_no_obligation_covering_p(doelgroep):
    assert advies(dossier(doelgroepen=(doelgroep,)), date(2024, 1, 1)) == ("OK", None, 3)


def test_rule_3_recht_plicht_is_an_obligation():
    d = dossier(doelgroepen=(plicht(type=DoelgroepType.RECHT_PLICHT),))
    assert advies(d, date(2024, 1, 1)) == ("NOK", "GEEN_AANMELDING", 7)


def test_rule_3_period_end_day_still_covered():
    d = dossier(doelgroepen=(plicht(einde=date(2023, 6, 30)),))
    assert advies(d, date(2023, 6, 30))[0] == "NOK"
    assert advies(d, date(2023, 7, 1)) == ("OK", None, 3)


def test_rule_4_exemption():
    d = dossier(doelgroepen=(plicht(reden_vrijstelling=Code("VRIJ_65PLUS")),))
    assert advies(d, date(2024, 1, 1)) == ("OK", None, 4)


def test_rule_5_attest_counts_from_its_date():
    d = dossier(attesten=(Attest(date(2023, 6, 30)),))
    assert advies(d, date(2023, 6, 29))[0] == "NOK"
    assert advies(d, date(2023, 6, 30)) == ("OK", None, 5)


def test_rule_5_attest_wins_over_an_infringement():
    d = dossier(attesten=(Attest(date(2023, 6, 30)),), inbreuken=(Inbreuk(date(2023, 1, 1)),))
    assert advies(d, date(2023, 7, 1)) == ("OK", None, 5)


def test_rule_6_infringement_and_its_remedy():
    inbreuk = Inbreuk(date(2023, 2, 1), rechtzetting=RechtzettingsFormulier(date(2023, 5, 15)))
    d = dossier(
        aanmelding=Aanmelding(date(2022, 3, 10)),
        contracten=(Contract(date(2022, 4, 1)),),
        inbreuken=(inbreuk,),
    )
    assert advies(d, date(2023, 1, 31)) == ("OK", None, 9)
    assert advies(d, date(2023, 2, 1)) == ("NOK", "INBREUK", 6)
    assert advies(d, date(2023, 5, 14)) == ("NOK", "INBREUK", 6)
    assert advies(d, date(2023, 5, 15)) == ("OK", None, 9)


def test_rule_6_one_open_infringement_is_enough():
    d = dossier(
        aanmelding=Aanmelding(date(2022, 3, 10)),
        contracten=(Contract(date(2022, 4, 1)),),
        inbreuken=(
            Inbreuk(date(2022, 6, 1), rechtzetting=RechtzettingsFormulier(date(2022, 7, 1))),
            Inbreuk(date(2023, 1, 1)),
        ),
    )
    assert advies(d, date(2022, 12, 31)) == ("OK", None, 9)
    assert advies(d, date(2023, 1, 1)) == ("NOK", "INBREUK", 6)


def test_rule_7_registration_deadline_day_is_on_time():
    d = dossier()  # begin 2022-03-01, deadline 2022-06-01
    assert advies(d, date(2022, 6, 1)) == ("OK", None, 9)
    assert advies(d, date(2022, 6, 2)) == ("NOK", "GEEN_AANMELDING", 7)


def test_rule_7_postponement_covers_p():
    d = dossier(uitstellen_van_aanmelding=(Uitstel(Periode(date(2022, 5, 1), date(2022, 12, 31))),))
    assert advies(d, date(2022, 12, 31))[1] != "GEEN_AANMELDING"
    assert advies(d, date(2023, 1, 1)) == ("NOK", "GEEN_AANMELDING", 7)


def test_rule_7_a_late_registration_ends_the_nok():
    d = dossier(aanmelding=Aanmelding(date(2022, 8, 1)))
    assert advies(d, date(2022, 7, 31)) == ("NOK", "GEEN_AANMELDING", 7)
    assert advies(d, date(2022, 8, 1)) == ("OK", None, 9)


def test_rule_8_contract_term_runs_from_registration():
    d = dossier(aanmelding=Aanmelding(date(2022, 4, 15)))  # deadline 2022-10-15
    assert advies(d, date(2022, 10, 15)) == ("OK", None, 9)
    assert advies(d, date(2022, 10, 16)) == ("NOK", "GEEN_CONTRACT", 8)


def test_rule_8_contract_term_runs_from_doelgroep_begin_without_registration():
    d = dossier(uitstellen_van_aanmelding=(Uitstel(Periode(date(2022, 5, 1))),))
    assert advies(d, date(2022, 9, 1)) == ("OK", None, 9)
    assert advies(d, date(2022, 9, 2)) == ("NOK", "GEEN_CONTRACT", 8)


def test_rule_8_postponed_signing():
    d = dossier(
        aanmelding=Aanmelding(date(2022, 3, 1)),
        uitstellen_van_ondertekening=(Uitstel(Periode(date(2022, 8, 1), date(2023, 2, 28))),),
    )
    assert advies(d, date(2022, 9, 2)) == ("OK", None, 9)
    assert advies(d, date(2023, 2, 28)) == ("OK", None, 9)
    assert advies(d, date(2023, 3, 1)) == ("NOK", "GEEN_CONTRACT", 8)


def test_rule_8_month_end_clamping():
    d = dossier(doelgroepen=(plicht(date(2022, 8, 31)),), aanmelding=Aanmelding(date(2022, 8, 31)))
    assert advies(d, date(2023, 2, 28)) == ("OK", None, 9)
    assert advies(d, date(2023, 3, 1)) == ("NOK", "GEEN_CONTRACT", 8)


def test_rule_9_contract_signed():
    d = dossier(aanmelding=Aanmelding(date(2022, 3, 5)), contracten=(Contract(date(2022, 5, 1)),))
    assert advies(d, date(2030, 1, 1)) == ("OK", None, 9)


def test_facts_after_p_do_not_count():
    d = dossier(aanmelding=Aanmelding(date(2023, 1, 1)), contracten=(Contract(date(2023, 2, 1)),))
    assert advies(d, date(2022, 12, 1)) == ("NOK", "GEEN_AANMELDING", 7)


def test_facts_the_kbi_learns_after_vandaag_do_not_count():
    """A later Datum with an earlier vandaag: only what the KBI knows on vandaag decides,
    whichever fact it is (each case below is decided the other way once it is known)."""
    later, vandaag = date(2024, 6, 1), date(2023, 3, 1)
    known_then = dict(aanmelding=Aanmelding(date(2022, 3, 5)), contracten=(Contract(BEGIN),))
    remedy_after_vandaag = RechtzettingsFormulier(date(2023, 4, 3))
    cases = [
        # registered after vandaag: not registered in time
        (dict(aanmelding=Aanmelding(date(2023, 5, 1))), ("NOK", "GEEN_AANMELDING", 7)),
        # a postponement of registration begun after vandaag covers nothing yet
        (
            dict(uitstellen_van_aanmelding=(Uitstel(Periode(date(2023, 4, 1))),)),
            ("NOK", "GEEN_AANMELDING", 7),
        ),
        # a contract registered after vandaag: none in time
        (
            dict(aanmelding=Aanmelding(date(2022, 3, 5)), contracten=(Contract(later),)),
            ("NOK", "GEEN_CONTRACT", 8),
        ),
        # a postponement of signing begun after vandaag covers nothing yet
        (
            dict(
                aanmelding=Aanmelding(date(2022, 3, 5)),
                uitstellen_van_ondertekening=(Uitstel(Periode(date(2023, 4, 1))),),
            ),
            ("NOK", "GEEN_CONTRACT", 8),
        ),
        # an infringement remedied after vandaag is open still
        (
            dict(
                **known_then,
                inbreuken=(Inbreuk(date(2023, 1, 2), rechtzetting=remedy_after_vandaag),),
            ),
            ("NOK", "INBREUK", 6),
        ),
        # an infringement established after vandaag is not known
        (dict(**known_then, inbreuken=(Inbreuk(date(2023, 4, 3)),)), ("OK", None, 9)),
        # an attest made after vandaag is not known
        (
            dict(inbreuken=(Inbreuk(date(2023, 1, 2)),), attesten=(Attest(date(2023, 4, 3)),)),
            ("NOK", "INBREUK", 6),
        ),
        # an obligation begun after vandaag is not known
        (dict(doelgroepen=(plicht(date(2023, 4, 1)),)), ("OK", None, 3)),
    ]
    for facts, expected in cases:
        assert advies(dossier(**facts), later, vandaag=vandaag) == expected, facts
        assert advies(dossier(**facts), later) != expected, facts  # known: decided otherwise


def test_the_advice_sees_the_dossier_as_the_kbi_knew_it(builtin_personas):
    """The rules read a dossier in place, up to the day the KBI knew it; the advice is the
    one for the dossier as it was known that day (``as_of``, what the wire shows), for every
    persona, on and around each of its dates, known on and around each of them."""
    from magda_kbi.io.personas import persona_from_data
    from magda_kbi.io.population import generate_population

    personas = [*builtin_personas.values()]
    personas += [persona_from_data(data) for data in generate_population(150, seed=7)]
    dossiers = [p.dossier for p in personas if p.dossier is not None]
    one = date.resolution
    checked = 0
    for d in dossiers:
        days = sorted({day + step for day in d.feitdata() for step in (-one, 0 * one, one)})
        for vandaag in [None, *days]:
            for day in days:
                for toepassing in (Toepassing.ZORGBUDGET, Toepassing.VERLAAGDE_PREMIE):
                    p = peildatum(day, toepassing)
                    known = d.as_of(min(p, vandaag) if vandaag else p)
                    in_place = geef_advies(d, day, toepassing, vandaag=vandaag)
                    assert in_place == geef_advies(known, day, toepassing), (d.insz, day, vandaag)
                    checked += 1
    assert checked > 20_000


def test_terms_are_configuration():
    d = dossier()
    short = Terms(registration_months=1, contract_months=2)
    assert advies(d, date(2022, 4, 2), terms=short) == ("NOK", "GEEN_AANMELDING", 7)
    assert advies(d, date(2022, 4, 2)) == ("OK", None, 9)


def test_verlaagde_premie_looks_at_1_january_of_the_previous_year():
    assert peildatum(date(2024, 7, 15), Toepassing.VERLAAGDE_PREMIE) == date(2023, 1, 1)
    assert peildatum(date(2024, 7, 15), Toepassing.ZORGBUDGET) == date(2024, 7, 15)
    d = dossier(
        doelgroepen=(plicht(date(2021, 3, 1)),),
        aanmelding=Aanmelding(date(2022, 9, 1)),
        contracten=(Contract(date(2022, 11, 15)),),
    )
    assert advies(d, date(2023, 6, 1), Toepassing.VERLAAGDE_PREMIE) == ("NOK", "GEEN_AANMELDING", 7)
    assert advies(d, date(2024, 6, 1), Toepassing.VERLAAGDE_PREMIE) == ("OK", None, 9)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2022, 1, 31), 3, date(2022, 4, 30)),
        (date(2022, 11, 15), 3, date(2023, 2, 15)),
        (date(2022, 3, 1), 12, date(2023, 3, 1)),
        (date(9999, 7, 1), 6, date(9999, 12, 31)),  # past the calendar: its last day
        (date(9999, 12, 31), 120, date(9999, 12, 31)),
    ],
)
def test_plus_months(day, months, expected):
    assert plus_months(day, months) == expected


def test_the_advice_is_given_for_terms_that_end_past_the_calendar():
    """A Doelgroep begun in 9999-07 with its registration postponed to the calendar's end:
    the contract term (6 months) ends past 9999-12-31, so no day is past it (rule 9); it
    was a ValueError (year 10000) out of the pure function."""
    d = dossier(
        doelgroepen=(plicht(date(9999, 7, 1)),),
        uitstellen_van_aanmelding=(Uitstel(Periode(date(9999, 7, 1), date(9999, 12, 31))),),
    )
    assert advies(d, date(9999, 12, 31)) == ("OK", None, 9)


def test_ok_never_has_a_reason_and_nok_always_has_one(builtin_personas):
    days = [date(2021, 6, 1)] + [date(j, m, 1) for j in range(2022, 2027) for m in (1, 4, 7, 10)]
    for persona in builtin_personas.values():
        for day in days:
            for toepassing in Toepassing:
                a = geef_advies(persona.dossier, day, toepassing)
                assert (a.resultaat is Resultaat.NOK) == (a.reden is not None)
                assert a.omschrijving is None or a.reden in Reden


def test_peildatum_is_total_for_the_earliest_dates():
    assert peildatum(date(1, 6, 1), Toepassing.VERLAAGDE_PREMIE) == date(1, 1, 1)
    assert advies(None, date(1, 6, 1), Toepassing.VERLAAGDE_PREMIE) == ("OK", None, 1)


def test_the_condition_applies_to_the_zwaar_zorgbehoevenden_budget_only(builtin_personas):
    from magda_kbi.domain.advies import RuleSet

    d = dossier(inbreuken=(Inbreuk(date(2023, 1, 1)),))
    day = date(2023, 6, 1)
    assert advies(d, day, Toepassing.ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN) == ("NOK", "INBREUK", 6)
    assert advies(d, day, "ZORGBUDGET") == ("NOK", "INBREUK", 6)  # the first name: an alias
    assert Toepassing("ZORGBUDGET") is Toepassing.ZORGBUDGET_ZWAAR_ZORGBEHOEVENDEN
    for budget in (Toepassing.ZORGBUDGET_OUDEREN, Toepassing.BASISONDERSTEUNINGSBUDGET):
        assert advies(d, day, budget) == ("OK", None, 10)
        for persona in builtin_personas.values():
            assert advies(persona.dossier, day, budget) == ("OK", None, 10)
    # after the ruling, nothing is NOK, whatever the budget
    for persona in builtin_personas.values():
        for toepassing in Toepassing:
            outcome = advies(persona.dossier, day, toepassing, rule_set=RuleSet.NA_ARREST_112_2023)
            assert outcome == ("OK", None, 0)
