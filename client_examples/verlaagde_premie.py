#!/usr/bin/env python3
"""Zorgkas: check members for the reduced zorgpremie of a premium year (Automatisch advies).

A member keeps the reduced premium only if they satisfy the inburgering obligation on
1 January of the year before the premium year: the advice with Toepassing
VERLAAGDE_PREMIE answers NOK (with the reason) for those who do not.

    python client_examples/verlaagde_premie.py 2024 80651239522 73680599786 --url ...
    python client_examples/verlaagde_premie.py 2024 --file leden.txt

Exit code 0 when every member was answered, 1 when MAGDA refused a question (a refusal of
the caller itself, 13001, stops the run: every member would get it), 3 on a transport error.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from magda_client import GeenMachtiging, MagdaClient, MagdaFout, MagdaTransportFout, Signing


def premiejaar(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        year = None
    if year is None or not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"{text} is not a year from 2000 to 2100")
    return year


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("year", type=premiejaar, help="the premium year, e.g. 2024")
    parser.add_argument("insz", nargs="*", help="members' INSZ")
    parser.add_argument(
        "--file",
        help="a file with one INSZ per line (UTF-8), such as the list 'magda-kbi export"
        " verlaagde-premie' writes (its header line 'insz' is skipped)",
    )
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="MAGDA base URL")
    parser.add_argument("--afzender", default="zorgkas.voorbeeld.be")
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
    args = parser.parse_args(argv)

    members = list(args.insz)
    if args.file:
        try:  # utf-8-sig: a file saved by Windows tools may start with a byte order mark
            with open(args.file, encoding="utf-8-sig") as file:
                lines = [line.strip() for line in file if line.strip()]
            # a CSV list's header (the emulator's export writes one) is no member
            members += lines[1:] if lines[:1] and lines[0].strip('"').lower() == "insz" else lines
        except OSError as error:
            parser.error(f"cannot read {args.file}: {error.strerror}")
        except UnicodeDecodeError:
            parser.error(f"{args.file} is not UTF-8 text")
    if not members:
        parser.error("give at least one INSZ or --file")

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
            cert=(args.cert, args.key) if args.key else args.cert,
            verify=args.ca,
            signing=signing,
        )
    # a --url, --afzender, TLS or signing file the client cannot use; RuntimeError: no
    # usable xmlsec to sign with
    except (ValueError, RuntimeError) as error:
        parser.error(str(error))
    status = 0
    print(f"premium year {args.year} (peildatum {args.year - 1}-01-01)")
    for insz in members:
        try:
            advies = client.geef_automatisch_advies(insz, date(args.year, 1, 1), "VERLAAGDE_PREMIE")
        except GeenMachtiging as error:  # about the caller: every member would be refused
            print(
                f"stopped: MAGDA refuses every question of Afzender {args.afzender!r} with"
                f" Hoedanigheid {args.hoedanigheid!r} ({error.code}): check --afzender and"
                f" --hoedanigheid\n{error.diagnose}",
                file=sys.stderr,
            )
            return 1
        except MagdaFout as error:
            print(f"  {insz}  FOUT {error.code or '-'}: {error.diagnose}")
            status = max(status, 1)
            continue
        except MagdaTransportFout as error:
            print(f"no answer for {insz}: {error}", file=sys.stderr)
            return 3
        if advies.ok:
            # OK is also the answer for someone not obliged, exempt or not in the KBI
            print(f"  {advies.insz}  OK   the inburgering condition does not bar a reduced premium")
        else:
            print(f"  {advies.insz}  NOK  {advies.reden_code}: no reduced premium for {args.year}")
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into head, which has what it wanted: the rest is dropped
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
