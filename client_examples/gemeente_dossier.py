#!/usr/bin/env python3
"""Gemeente: a short human summary of one person's KBI dossier (GeefDossierKBI).

    python client_examples/gemeente_dossier.py 98630499724 --url http://127.0.0.1:8080

GeefDossierKBI 02.00 (the platform's current version) by default, ``--versie 01.00`` for
the earlier one.

Exit code 0 with a summary, 1 when MAGDA answers with an error (e.g. 30001: not known
in the KBI), 2 when the question is not sent (an INSZ that is none), 3 on a transport
error.
"""

from __future__ import annotations

import argparse
import os
import sys

from magda_client import MagdaClient, MagdaFout, MagdaTransportFout, Signing


def summary(dossier) -> str:
    # A municipality's protocol shows name, INSZ, contract signed and attest obtained; what
    # it hides is no fact ("doelgroep: none" and "0 infringements" would say so)
    hidden = "not disclosed to this consumer"
    d = dossier.doelgroep
    if dossier.beperkt:
        doelgroep = hidden
    elif d:
        doelgroep = f"{d.type} ({d.code}) since {d.begin}" + (" - exempt" if d.vrijgesteld else "")
    else:
        doelgroep = "none"
    lines = [
        f"{' '.join(dossier.voornamen)} {' '.join(dossier.achternamen)} ({dossier.insz})",
        f"  doelgroep:          {doelgroep}",
        f"  contract signed:    {'yes' if dossier.contract_ondertekend else 'no'}",
        f"  attest obtained:    {'yes' if dossier.attest_behaald else 'no'}",
        f"  open infringements: {hidden if dossier.beperkt else len(dossier.open_inbreuken)}",
    ]
    for inbreuk in dossier.open_inbreuken:
        lines.append(f"    - established on {inbreuk.datum_vaststelling} (type {inbreuk.type})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("insz")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="MAGDA base URL")
    parser.add_argument("--afzender", default="gemeente.voorbeeld.be")
    parser.add_argument("--hoedanigheid", default="1234")
    parser.add_argument("--cert", help="client certificate, PEM (MAGDA's mutual TLS)")
    parser.add_argument("--key", help="its private key, PEM, when not in --cert")
    parser.add_argument("--ca", default=True, help="the CA of the server's certificate, PEM")
    parser.add_argument(
        "--sign-key", help="sign each request (WS-Security X.509) with this PEM key"
    )
    parser.add_argument(
        "--sign-cert",
        help="the PEM certificate of --sign-key (an encrypted key's password: the"
        " environment variable MAGDA_KBI_SIGN_PASSWORD)",
    )
    parser.add_argument("--versie", choices=["02.00", "01.00"], default="02.00")
    args = parser.parse_args(argv)

    if (args.sign_key is None) != (args.sign_cert is None):
        parser.error("signing needs both --sign-key and --sign-cert")
    signing = None
    if args.sign_key:  # the password from the environment: a command line is seen by all
        password = os.environ.get("MAGDA_KBI_SIGN_PASSWORD") or None
        signing = Signing(args.sign_key, args.sign_cert, password)
    try:
        client = MagdaClient(
            args.url,
            afzender=args.afzender,
            hoedanigheid=args.hoedanigheid,
            dossier_versie=args.versie,
            cert=(args.cert, args.key) if args.key else args.cert,
            verify=args.ca,
            signing=signing,
        )
    # a --url, --afzender, TLS or signing file the client cannot use; RuntimeError: no
    # usable xmlsec to sign with
    except (ValueError, RuntimeError) as error:
        parser.error(str(error))
    try:
        print(summary(client.geef_dossier_kbi(args.insz)))
    except MagdaFout as error:
        if error.oorsprong == "CLIENT":  # the library refused it: MAGDA never saw it
            print(f"not sent: {error.diagnose}", file=sys.stderr)
            return 2
        print(f"MAGDA answered {error.code or '-'}: {error.diagnose}")
        return 1
    except MagdaTransportFout as error:
        print(f"no answer: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into head, which has what it wanted: the rest is dropped
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
