"""``magda-kbi client``: the magda_client library asking a running emulator (or MAGDA),
its answer printed as text or JSON."""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date

import click

from magda_kbi.adapters.cli.common import (
    DATE_TYPE,
    DATUM_HELP,
    PATH_TYPE,
    SIGN_PASSWORD_ENV,
    DatumCommand,
    Group,
    Refused,
    combined,
    insz_digits,
    json_option,
    json_text,
    toepassing_option,
)


@click.group(
    cls=Group,
    short_help="call a running emulator (or MAGDA) with the magda_client library",
    help="Ask a MAGDA endpoint, the emulator by default, and print the answer.",
)
def client() -> None:
    pass


client_options = combined(
    click.option(
        "--url",
        default="http://127.0.0.1:8080",
        show_default=True,
        help="base URL of the MAGDA services",
    ),
    click.option(
        "--afzender",
        default="magda-kbi.cli",
        show_default=True,
        help="Context Afzender/Identificatie",
    ),
    click.option("--hoedanigheid", default="1", show_default=True, help="Afzender/Hoedanigheid"),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="seconds",
    ),
    click.option(
        "--cert",
        type=PATH_TYPE,
        metavar="FILE",
        help="client certificate for mutual TLS (PEM; its key in it, or --key)",
    ),
    click.option(
        "--key", type=PATH_TYPE, metavar="FILE", help="the client certificate's key (PEM)"
    ),
    click.option(
        "--ca",
        type=PATH_TYPE,
        metavar="FILE",
        help="CA bundle to check the server's certificate (default: the system's)",
    ),
    click.option(
        "--sign-key",
        type=PATH_TYPE,
        metavar="FILE",
        help="sign each request (WS-Security X.509) with this PEM key; with --sign-cert",
    ),
    click.option(
        "--sign-cert", type=PATH_TYPE, metavar="FILE", help="the PEM certificate of --sign-key"
    ),
    click.option(
        "--sign-password",
        envvar=SIGN_PASSWORD_ENV,
        metavar="TEXT",
        help="the password of an encrypted --sign-key (or MAGDA_KBI_SIGN_PASSWORD)",
    ),
    json_option,
)


@client.command(
    "dossier", short_help="GeefDossierKBI for one INSZ", help="GeefDossierKBI for one INSZ."
)
@click.argument("insz", callback=insz_digits)
@click.option(
    "--versie",
    type=click.Choice(["02.00", "01.00"]),
    default="02.00",
    show_default=True,
    help="GeefDossierKBI version to ask (02.00 is the platform's current one)",
)
@click.option(
    "--mutaties-context",
    is_flag=True,
    help="send MutatiesContext true (the question follows a mutation notification)",
)
@client_options
def client_dossier(insz: str, versie: str, mutaties_context: bool, **options) -> None:
    _client_call(
        lambda c: c.geef_dossier_kbi(insz, mutaties_context=mutaties_context),
        _show_dossier,
        dossier_versie=versie,
        **options,
    )


@client.command(
    "advies",
    cls=DatumCommand,
    short_help="Automatisch advies for one INSZ and date",
    help="Automatisch advies for one INSZ and date.",
)
@click.argument("insz", callback=insz_digits)
@click.option("--datum", required=True, type=DATE_TYPE, help=DATUM_HELP)
@toepassing_option
@client_options
def client_advies(insz: str, datum: date, toepassing: str, **options) -> None:
    _client_call(
        lambda c: c.geef_automatisch_advies(insz, datum, toepassing), _show_advies, **options
    )


def _client_call(vraag, show, *, as_json: bool, **options) -> None:
    """Exit codes: 0 answered, 1 MAGDA answered with an error, 3 no usable answer."""
    from magda_client import MagdaClient, MagdaFout, MagdaTransportFout, Signing

    url, cert, key, ca = (options.pop(name) for name in ("url", "cert", "key", "ca"))
    sign_key, sign_cert, password = (
        options.pop(name) for name in ("sign_key", "sign_cert", "sign_password")
    )
    if key is not None and cert is None:
        raise click.UsageError("--key goes with --cert")
    if (sign_key is None) != (sign_cert is None):
        raise click.UsageError("signing needs both --sign-key and --sign-cert")
    if sign_key is not None:
        options["signing"] = Signing(str(sign_key), str(sign_cert), password or None)
    if cert is not None:
        options["cert"] = (str(cert), str(key)) if key is not None else str(cert)
    if ca is not None:
        options["verify"] = str(ca)
    try:
        client = MagdaClient(url, **options)
    except RuntimeError as error:  # signing without xmlsec
        raise Refused(str(error)) from None
    except ValueError as error:  # a URL, Afzender or file the client cannot work with
        message = str(error)
        for name, option in (
            ("base_url", "--url"),
            ("afzender", "--afzender"),
            ("cert", "--cert"),
            ("verify", "--ca"),
            ("signing", "--sign-key/--sign-cert"),
        ):
            if message.startswith(name):
                message = option + message[len(name) :]
        # the library's way out that this command does not have (it takes one --url)
        message = message.replace(", or this address in addresses", "")
        raise Refused(message) from None
    try:
        result = vraag(client)
    except MagdaFout as error:
        # the library refused the question itself (an INSZ that is none): MAGDA never saw it
        local = error.oorsprong == "CLIENT"
        if as_json:
            names = ("code", "type", "oorsprong", "diagnose", "referte")
            print(json_text({"fout": {k: getattr(error, k) for k in names}}))
        elif local:
            raise Refused(f"not sent: {error.diagnose}") from None
        else:  # the Referte: what MAGDA's helpdesk (and the emulator's journal) finds it by
            said = f"MAGDA: {error.code or '-'} {error.diagnose} (Referte {error.referte})"
            print(said, file=sys.stderr)
            if error.code == "13001":
                print(
                    "magda-kbi: the emulator enforces protocols: say who asks with --afzender "
                    "and --hoedanigheid; 'magda-kbi consumers' lists the known consumers",
                    file=sys.stderr,
                )
        raise SystemExit(2 if local else 1) from None
    except MagdaTransportFout as error:
        # the library names its parameters (verify=, cert=); here they are options
        message = str(error).replace("verify=", "--ca").replace("cert=", "--cert/--key")
        if message.endswith(": Connection refused"):  # most often: no emulator started yet
            message += " (is the emulator running? 'magda-kbi serve' starts it; --url another)"
        print(f"magda-kbi: no answer: {message}", file=sys.stderr)
        raise SystemExit(3) from None
    print(json_text(_as_json(result), indent=2) if as_json else show(result))


def _as_json(result) -> dict:

    data = {k: v for k, v in dataclasses.asdict(result).items() if k != "element"}
    for name in ("contract_ondertekend", "attest_behaald", "ok"):
        if hasattr(result, name):
            data[name] = getattr(result, name)
    return json.loads(json.dumps(data, default=str))


def _show_dossier(d) -> str:
    if d.beperkt:  # what the protocol hides is not shown as a fact
        hidden = "not disclosed to this consumer"
        return "\n".join(
            [
                f"{' '.join(d.voornamen)} {' '.join(d.achternamen)} ({d.insz}), born: {hidden}",
                f"doelgroep:  {hidden}",
                f"registered: {hidden}",
                f"contract:   {'signed' if d.contract_ondertekend else 'not signed'}",
                f"attest:     {'obtained' if d.attest_behaald else 'not obtained'}",
                f"infringements: {hidden}",
                f"trajectories: {hidden}",
                *_notes(d),
            ]
        )
    doelgroep = d.doelgroep
    lines = [
        f"{' '.join(d.voornamen)} {' '.join(d.achternamen)} ({d.insz}), "
        f"born {d.geboortedatum or '?'}",
        "doelgroep:  "
        + (
            f"{doelgroep.code} {doelgroep.type} since {doelgroep.begin}"
            + (f" until {doelgroep.einde}" if doelgroep.einde else "")
            + (" (exempt)" if doelgroep.vrijgesteld else "")
            if doelgroep
            else "-"
        ),
        f"registered: {d.datum_aanmelding or 'no'}",
        f"contract:   {'signed' if d.contract_ondertekend else 'not signed'}",
        f"attest:     {'obtained' if d.attest_behaald else 'not obtained'}",
        f"infringements: {len(d.open_inbreuken)} open, {len(d.inbreuken)} in all",
        f"trajectories: {', '.join(t.type or '?' for t in d.trajecten) or '-'}",
    ]
    if d.telefoonnummers or d.emails:  # 02.00
        lines.append(f"contact:    {', '.join((*(d.telefoonnummers or ()), *(d.emails or ())))}")
    return "\n".join([*lines, *_notes(d)])


def _show_advies(a) -> str:
    text = f"{a.insz} peildatum {a.peildatum}: {a.resultaat}"
    if not a.ok:
        text += f" - {a.reden_code}: {a.reden_omschrijving}"
    return "\n".join([text, *_notes(a)])


def _notes(answer) -> list[str]:
    """The WAARSCHUWING and INFORMATIE Uitzonderingen beside an answer: an OK under the
    ruling's rule set printed without the INFORMATIE that says why."""
    return [f"{u.type} {u.code}: {u.diagnose}" for u in answer.uitzonderingen]
