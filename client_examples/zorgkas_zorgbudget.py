#!/usr/bin/env python3
"""Zorgkas: check the inburgering condition for zorgbudget files (Automatisch advies).

Reads a CSV with the columns ``insz`` and ``datum`` (the date the right to the
zorgbudget opens) and prints OK/NOK with the reason per member. Exit code 0 when every
row was answered, 1 when MAGDA refused a question, 3 on a transport error (no answer).

    python client_examples/zorgkas_zorgbudget.py leden.csv --url http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import csv
import sys
from contextlib import nullcontext

from magda_client import MagdaClient, MagdaFout, MagdaTransportFout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="CSV file with columns insz,datum (use - for stdin)")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="MAGDA base URL")
    parser.add_argument("--afzender", default="zorgkas.voorbeeld.be")
    parser.add_argument("--hoedanigheid", default="1234")
    args = parser.parse_args(argv)

    client = MagdaClient(args.url, afzender=args.afzender, hoedanigheid=args.hoedanigheid)
    status = 0
    if args.csv == "-":
        bron = nullcontext(sys.stdin)
    else:
        bron = open(args.csv, newline="", encoding="utf-8")  # noqa: SIM115 - closed by the with
    with bron as invoer:
        lezer = csv.DictReader(invoer)
        if not {"insz", "datum"} <= set(lezer.fieldnames or ()):
            parser.error("the CSV needs a header with the columns insz,datum")
        print(f"{'INSZ':<12} {'datum':<10}  advies")
        for rij in lezer:
            insz, datum = rij["insz"].strip(), rij["datum"].strip()
            try:
                advies = client.geef_automatisch_advies(insz, datum, "ZORGBUDGET")
            except MagdaFout as fout:
                print(f"{insz:<12} {datum:<10}  FOUT {fout.code or '-'}: {fout.diagnose}")
                status = max(status, 1)
                continue
            except MagdaTransportFout as fout:
                print(f"{insz:<12} {datum:<10}  geen antwoord: {fout}", file=sys.stderr)
                return 3
            reden = f"  {advies.reden_code}: {advies.reden_omschrijving}" if not advies.ok else ""
            print(f"{insz:<12} {datum:<10}  {advies.resultaat}{reden}")
    return status


if __name__ == "__main__":
    sys.exit(main())
