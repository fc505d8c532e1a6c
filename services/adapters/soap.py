"""spyne adapter: one SOAP 1.1 application per MAGDA service.

Following the field notes, the operation is ``AnyXml`` in and out with a bare body:
spyne parses the envelope (with our safe parser settings) and hands over the body,
our service answers with a ``Repliek`` element and spyne wraps it in
``<tns:{Naam}Response>``. The WSDL spyne would generate describes ``anyType``, so the
published contract is our own file from ``wsdl/`` (see :mod:`magda_kbi.adapters.app`).
"""

from __future__ import annotations

import logging

from magda_kbi.adapters import compat

compat.import_spyne()

from spyne import AnyXml, Application, Fault, ServiceBase, rpc  # noqa: E402
from spyne.protocol.soap import Soap11  # noqa: E402
from spyne.server.wsgi import WsgiApplication  # noqa: E402

from magda_kbi.runtime.diensten import Dienst, PlatformError  # noqa: E402
from magda_kbi.runtime.journal import Call  # noqa: E402
from magda_kbi.runtime.wsgi_keys import CALL_KEY, FAULT_KEY  # noqa: E402
from magda_kbi.wire.envelope import DTD  # noqa: E402

log = logging.getLogger(__name__)


def soap_application(dienst: Dienst, max_bytes: int) -> WsgiApplication:
    """The WSGI application answering SOAP requests for one service."""

    class MagdaDienst(ServiceBase):
        @rpc(
            AnyXml,
            _returns=AnyXml,
            _body_style="bare",
            _in_message_name=dienst.naam,
            _out_message_name=f"{dienst.naam}Response",
        )
        def operatie(ctx, verzoek):  # noqa: N805 - spyne passes the method context first
            operation = ctx.in_body_doc
            if operation.getroottree().docinfo.doctype:
                raise Fault(*DTD)  # the dispatcher refuses it first; this is the last guard
            environ = ctx.transport.req_env  # the WSGI environ, with the dispatcher's keys
            try:
                repliek, environ[CALL_KEY] = dienst.handle(operation, environ.get(FAULT_KEY))
            except PlatformError as error:
                environ[CALL_KEY] = error.call
                raise Fault("Server", str(error)) from None
            except Exception:  # never a traceback on the wire
                log.exception("unexpected error answering %s", dienst.naam)
                environ[CALL_KEY] = Call(dienst.naam)
                raise Fault("Server", f"Interne fout in de emulator bij {dienst.naam}") from None
            return repliek

    MagdaDienst.__name__ = f"{dienst.naam}Dienst"
    application = Application(
        [MagdaDienst],
        tns=dienst.namespace,
        name=f"{dienst.naam}Dienst",
        # The XML parser spyne uses for requests: no entities, no DTD, no network,
        # libxml2's limits (huge_tree off); the byte size is capped by the WSGI layer.
        in_protocol=Soap11(
            resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
        ),
        out_protocol=Soap11(),
    )
    return WsgiApplication(application, max_content_length=max_bytes)
