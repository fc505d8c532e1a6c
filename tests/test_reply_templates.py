"""A reply template fills each open place with its call's value, wherever and however often
it stands, and leaves every other byte as the full build wrote it."""

import pytest

from magda_kbi.runtime.reply_templates import (
    AFZENDER_REFERTE,
    PLATFORM_REFERTE,
    TIJD,
    VRAAG_REFERTE,
    Template,
)


def test_each_place_gets_its_value_and_every_other_byte_stays():
    antwoord = (
        f"<a>100% {TIJD}</a><b>{VRAAG_REFERTE}</b><c>%s %d %%</c><d>{PLATFORM_REFERTE}</d>"
        f"<e>{AFZENDER_REFERTE}</e><f>{TIJD}</f><g>é</g>"
    ).encode()
    filled = Template.from_reply(antwoord, "DOSSIER").fill("10:11:12.013", "uuid", "a&<b", "v>")
    assert (
        filled
        == (
            "<a>100% 10:11:12.013</a><b>v&gt;</b><c>%s %d %%</c><d>uuid</d>"
            "<e>a&amp;&lt;b</e><f>10:11:12.013</f><g>é</g>"
        ).encode()
    )


@pytest.mark.parametrize(
    ("referte", "as_text"),
    [
        ("a&b", b"a&amp;b"),
        ("a<b", b"a&lt;b"),
        ("a>b", b"a&gt;b"),
        ("a\rb", b"a&#13;b"),
        ("\u00e9-1", "\u00e9-1".encode()),
        ("3f2b8c1e-4a5d-4e6f-9a0b-1c2d3e4f5a6b", b"3f2b8c1e-4a5d-4e6f-9a0b-1c2d3e4f5a6b"),
    ],
)
def test_each_character_lxml_escapes_is_escaped_alone(referte, as_text):
    antwoord = f"<a>{AFZENDER_REFERTE}</a><b>{VRAAG_REFERTE}</b>".encode()
    filled = Template.from_reply(antwoord, None).fill("t", "p", referte, referte)
    assert filled == b"<a>" + as_text + b"</a><b>" + as_text + b"</b>"


def test_a_reply_with_one_place_or_none():
    assert Template.from_reply(f"<a>{TIJD}%</a>".encode(), None).fill("t", "", "", "") == (
        b"<a>t%</a>"
    )
    assert Template.from_reply(b"<a>50%</a>", None).fill("t", "p", "a", "v") == b"<a>50%</a>"


def test_a_persona_cache_drops_its_oldest_entry_first_and_checks_the_persona():
    from magda_kbi.runtime.reply_templates import PersonaCache

    cache = PersonaCache(capacity=3)
    first, second = object(), object()
    for n in range(3):
        cache.keep(n, first, f"waarde {n}")
    cache.keep(3, first, "waarde 3")  # full: 0 goes, the others stay
    assert [cache.find(n, first) for n in range(4)] == [None, "waarde 1", "waarde 2", "waarde 3"]
    assert cache.find(3, second) is None  # another persona (a change at runtime): not its value
    for n in range(4, 100):
        cache.keep(n, first, n)
    assert [cache.find(n, first) for n in (96, 97, 98, 99)] == [None, 97, 98, 99]
