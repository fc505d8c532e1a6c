#!/usr/bin/env python3
"""Zorgkas: check the inburgering condition for zorgbudget files (Automatisch advies).

Reads a CSV with the columns ``insz`` and ``datum`` (the date the right to the
zorgbudget opens) and prints OK/NOK with the reason per member. Exit code 0 when every
row was answered, 1 when MAGDA refused a question (a refusal of the caller itself, 13001,
stops the run: every row would get it), 2 when the file cannot be read, 3 on a transport
error (no answer).

The file may be as a spreadsheet saves it: UTF-8 with or without a BOM, or the Windows
code page Excel's plain "CSV" uses (only insz and datum are read, and they are ASCII; a
name in another column is never printed), separated by commas or semicolons, dates as
2024-01-01 or 01/01/2024, an INSZ as 73680599786 or as printed on the eID (73.68.05-997.86).

    python client_examples/zorgkas_zorgbudget.py leden.csv --url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from contextlib import nullcontext
from itertools import chain

from magda_client import GeenMachtiging, MagdaClient, MagdaFout, MagdaTransportFout, Signing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="CSV file with columns insz,datum (use - for stdin)")
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
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte order mark. errors="replace": its
        # plain "CSV" is Windows-1252, which was refused for a name in a column never read.
        source = (
            nullcontext(sys.stdin)
            if args.csv == "-"
            else open(args.csv, newline="", encoding="utf-8-sig", errors="replace")  # noqa: SIM115
        )
    except OSError as error:
        parser.error(f"cannot read {args.csv}: {error.strerror}")
    with source as rows_in:
        try:
            header = rows_in.readline()
            # a Belgian Excel separates with semicolons
            reader = csv.DictReader(
                chain([header], rows_in),
                delimiter=";" if header.count(";") > header.count(",") else ",",
            )
            if not {"insz", "datum"} <= set(reader.fieldnames or ()):
                parser.error("the CSV needs a header with the columns insz,datum")
            print(f"{'INSZ':<12} {'datum':<10}  advies")
            for row in reader:
                status = max(status, ask(client, row.get("insz"), row.get("datum")))
        except UnicodeDecodeError:  # only standard input (a file replaces what it cannot read)
            parser.error("standard input is not text in this terminal's encoding")
        except MagdaTransportFout as error:
            print(f"no answer: {error}", file=sys.stderr)
            return 3
        except GeenMachtiging as error:
            return refused(client, error)
    return status


def refused(client: MagdaClient, error: GeenMachtiging) -> int:
    """13001 holds for every question of this caller: said once, and no more are sent."""
    print(
        f"stopped: MAGDA refuses every question of Afzender {client.afzender!r} with"
        f" Hoedanigheid {client.hoedanigheid!r} ({error.code}): check --afzender and"
        f" --hoedanigheid\n{error.diagnose}",
        file=sys.stderr,
    )
    return 1


def ask(client: MagdaClient, insz: str | None, datum: str | None) -> int:
    """Prints one member's advice; 1 when MAGDA refused the question."""
    insz, datum = (insz or "").strip(), (datum or "").strip()
    if day := re.fullmatch(r"(\d\d)/(\d\d)/(\d{4})", datum):  # 01/01/2024
        datum = f"{day[3]}-{day[2]}-{day[1]}"
    try:
        advies = client.geef_automatisch_advies(insz, datum, "ZORGBUDGET")
    except GeenMachtiging:
        raise  # about the caller, not this row: every row would be refused alike
    except MagdaFout as error:
        print(f"{insz:<12} {datum:<10}  FOUT {error.code or '-'}: {error.diagnose}")
        return 1
    reason = f"  {advies.reden_code}: {advies.reden_omschrijving}" if not advies.ok else ""
    print(f"{advies.insz:<12} {datum:<10}  {advies.resultaat}{reason}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # piped into head, which has what it wanted: the rest is dropped
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
