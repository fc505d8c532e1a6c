"""SOAP Header entries: one marked mustUnderstand that the services do not process gets
SOAP 1.1's MustUnderstand Fault (4.2.3, 4.4.1) instead of being passed over; WS-Security's
header is processed, and an entry for another actor or without mustUnderstand is left."""

import pytest

from .soap import (
    NS_SOAP,
    PATH_ADVIES,
    PATH_DOSSIER,
    PATH_DOSSIER_02,
    PATH_GENERIC,
    advies_verzoek,
    both_paths,
    dossier_verzoek,
    in_process,
    post,
)

NS_WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
NS_WSA = "http://www.w3.org/2005/08/addressing"
REQUESTS = {
    PATH_DOSSIER: dossier_verzoek("98630499724"),
    PATH_DOSSIER_02: dossier_verzoek("98630499724", "02.00"),
    PATH_ADVIES: advies_verzoek("98630499724", "2024-01-01"),
    PATH_GENERIC: dossier_verzoek("98630499724", "02.00"),
}


def with_header(request: bytes, entries: str) -> bytes:
    """``request`` with a SOAP Header holding ``entries`` (the prefix soapenv is SOAP 1.1's)."""
    return request.replace(
        b"<soapenv:Body>", f"<soapenv:Header>{entries}</soapenv:Header><soapenv:Body>".encode(), 1
    )


def fault(reply) -> tuple[str | None, str | None]:
    assert reply.root is not None and reply.root.tag == f"{{{NS_SOAP}}}Fault", reply.body[:300]
    return reply.root.findtext("faultcode"), reply.root.findtext("faultstring")


def answered(reply) -> bool:
    return reply.status == 200 and reply.root is not None and reply.root.tag.endswith("Response")


@pytest.mark.parametrize("path", list(REQUESTS))
@pytest.mark.parametrize("app", both_paths(), ids=["direct", "spyne"])
@pytest.mark.parametrize("value", ["1", "true", " 1 "])
def test_an_entry_that_must_be_understood_and_is_not_gets_a_must_understand_fault(app, path, value):
    entry = f'<wsa:Action xmlns:wsa="{NS_WSA}" soapenv:mustUnderstand="{value}">x</wsa:Action>'
    reply = in_process(app, path, with_header(REQUESTS[path], entry))
    assert reply.status == 500
    assert fault(reply) == (
        "soap11env:MustUnderstand",
        f'Header-element {{{NS_WSA}}}Action heeft mustUnderstand="{value.strip()}" en wordt hier'
        " niet verwerkt (alleen wsse:Security van WS-Security): laat het weg of zet"
        " mustUnderstand op 0",
    )


@pytest.mark.parametrize(
    "entries",
    [
        # not marked, or marked 0 / false: a receiver may pass it over
        "<Spoor>1</Spoor>",
        '<Spoor soapenv:mustUnderstand="0">1</Spoor>',
        '<Spoor soapenv:mustUnderstand="false">1</Spoor>',
        # for another actor: not this receiver's to process
        '<Spoor soapenv:mustUnderstand="1" soapenv:actor="urn:een-tussenstation">1</Spoor>',
        # an attribute of that name in no namespace is not SOAP's
        '<Spoor mustUnderstand="1">1</Spoor>',
        # WS-Security's header, as a signing consumer sends it (checked only with
        # --verify-signatures, taken otherwise as any signed request)
        f'<wsse:Security xmlns:wsse="{NS_WSSE}" soapenv:mustUnderstand="1"/>',
    ],
    ids=["unmarked", "zero", "false", "other-actor", "no-namespace", "ws-security"],
)
@pytest.mark.parametrize("app", both_paths(), ids=["direct", "spyne"])
def test_an_entry_a_receiver_may_leave_is_left(app, entries):
    for path, request in REQUESTS.items():
        assert answered(in_process(app, path, with_header(request, entries))), path


@pytest.mark.parametrize("app", both_paths(), ids=["direct", "spyne"])
def test_an_entry_for_the_next_actor_is_this_receiver_s(app):
    entry = (
        '<Spoor soapenv:mustUnderstand="1"'
        ' soapenv:actor="http://schemas.xmlsoap.org/soap/actor/next">1</Spoor>'
    )
    reply = in_process(app, PATH_DOSSIER_02, with_header(REQUESTS[PATH_DOSSIER_02], entry))
    assert fault(reply)[0] == "soap11env:MustUnderstand"
    assert "Header-element Spoor heeft" in fault(reply)[1]


@pytest.mark.parametrize("app", both_paths(), ids=["direct", "spyne"])
def test_a_must_understand_that_is_no_boolean_is_refused(app):
    entry = '<Spoor soapenv:mustUnderstand="ja">1</Spoor>'
    reply = in_process(app, PATH_ADVIES, with_header(REQUESTS[PATH_ADVIES], entry))
    assert reply.status == 500
    assert fault(reply) == (
        "soap11env:Client",
        "Header-element Spoor: mustUnderstand moet 0 of 1 zijn, niet 'ja'",
    )


def test_over_http_a_request_of_a_known_shape_with_such_an_entry_is_refused(server):
    """A request answered teaches its shape (answered from then on without a parse): the same
    request with an entry it must understand is another shape, and refused."""
    url = server.url + PATH_DOSSIER_02
    request = dossier_verzoek("60650549503", "02.00")
    for _ in range(3):
        assert answered(post(url, request))
    entry = '<Spoor soapenv:mustUnderstand="1">1</Spoor>'
    reply = post(url, with_header(request, entry))
    assert reply.status == 500 and fault(reply)[0] == "soap11env:MustUnderstand"
    assert answered(post(url, request))


@pytest.mark.parametrize("app", both_paths(), ids=["direct", "spyne"])
def test_a_header_after_the_body_is_not_passed_over(app):
    """SOAP 1.1 puts the Header first; one written after the Body is read all the same."""
    request = REQUESTS[PATH_DOSSIER].replace(
        b"</soapenv:Body>",
        b'</soapenv:Body><soapenv:Header><Spoor soapenv:mustUnderstand="1"/></soapenv:Header>',
    )
    reply = in_process(app, PATH_DOSSIER, request)
    assert fault(reply)[0] == "soap11env:MustUnderstand"
