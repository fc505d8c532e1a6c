"""``magda-kbi export``: the protocols' lists and the ABB export, streamed from the
personas, written whole or not at all."""

from __future__ import annotations

import contextlib
import stat
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click

from magda_kbi.adapters.cli.common import (
    PATH_TYPE,
    YEAR,
    Group,
    Refused,
    combined,
    fixtures_option,
    persona_source,
    rule_options,
    today_option,
    until_the_reader_leaves,
)
from magda_kbi.domain import lists
from magda_kbi.domain.advies import Terms
from magda_kbi.domain.clock import real_today
from magda_kbi.domain.consumers import Afnemers
from magda_kbi.domain.municipalities import nis_hint
from magda_kbi.io import formats
from magda_kbi.io.schemas import did_you_mean, text_xml_cannot_hold
from magda_kbi.runtime.catalogue import naming, naming_a_zorgkas_outside, naming_zorgkas


@click.group(
    cls=Group,
    short_help="the protocols' lists and the ABB export, streamed from the persona files",
    help="Lists and exports over the personas, read one at a time (memory stays flat). Writes "
    "to standard output unless --out is given.",
)
def export() -> None:
    pass


def export_options(*offered: str) -> Callable:
    return combined(
        click.option(
            "--format",
            "fmt",
            type=click.Choice(offered, case_sensitive=False),
            default=offered[0],
            show_default=True,
            help="output format",
        ),
        click.option(
            "--out",
            type=PATH_TYPE,
            metavar="FILE",
            help="write to this file, replaced once the list is whole (a link, device or pipe"
            " is written into; default: standard output)",
        ),
        click.option(
            "--no-builtin",
            is_flag=True,
            help="leave out the built-in personas (only --fixtures folders)",
        ),
        today_option,
        fixtures_option,
        click.option(
            "--store",
            metavar="URL",
            help="read the personas from this store's catalogue (what 'serve --store URL' "
            "serves, 'generate --store URL' wrote) instead of the files",
        ),
    )


def _write_out(out: Path | None, parts) -> None:
    """The parts to standard output, or to ``out`` whole or not at all: written beside it
    and renamed at the end, so a run that fails half-way (a bad persona file, a full disk)
    leaves no half list that looks like a whole one. A link, a device or a pipe is written
    into as the list comes (:func:`_written_in_place`)."""
    if out is None:
        # The bytes --out writes, whatever the console's encoding: UTF-8 (which the XML
        # declares and JSON must be; a Windows redirect was cp1252, an XML file no parser
        # read) and the parts' own line ends (Windows wrote CSV's \r\n as \r\r\n)
        binary = getattr(sys.stdout, "buffer", None)
        with until_the_reader_leaves():
            sys.stdout.flush()
            for part in parts:
                if binary is None:  # a text stream only (a caller's StringIO)
                    sys.stdout.write(part)
                else:
                    binary.write(part.encode("utf-8"))
            (binary or sys.stdout).flush()
        return
    if _written_in_place(out):
        try:
            with out.open("w", encoding="utf-8", newline="") as stream:
                for part in parts:
                    stream.write(part)
        except OSError as error:
            raise Refused(f"--out: cannot write {out}: {error.strerror or error}") from None
        return
    half = out.with_name(f".{out.name}.part")
    try:
        with half.open("w", encoding="utf-8", newline="") as stream:
            for part in parts:
                stream.write(part)
        half.replace(out)
    except OSError as error:
        _remove(half)
        raise Refused(f"--out: cannot write {out}: {error.strerror or error}") from None
    except BaseException:
        _remove(half)
        raise


def _remove(half: Path) -> None:
    """The half-written file gone, if it can be: on a read-only file system even one never
    made cannot be unlinked (EROFS), and that error, a traceback, hid why --out failed."""
    with contextlib.suppress(OSError):
        half.unlink(missing_ok=True)


def _written_in_place(out: Path) -> bool:
    """A link, a device or a pipe (/dev/stdout, /dev/null, a FIFO) is written into, never
    replaced by the renamed file: as root, that made /dev/null a plain file; a link became
    a file beside its target, which did not change."""
    try:
        return out.is_symlink() or not stat.S_ISREG(out.stat().st_mode)
    except FileNotFoundError:
        return False


def _not_empty(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An empty value gave an empty list (nobody is a member of ""), as if the zorgkas had
    no one to list; the REST route refuses it too."""
    if value is not None and not value.strip():
        raise click.BadParameter("is empty", param=param)
    if value is not None and (error := text_xml_cannot_hold(value, param.name or "")):
        raise click.BadParameter(error.reason, param=param)  # the XML list names it: a traceback
    return value


@export.command(
    "verlaagde-premie",
    short_help="the yearly reduced-premium list",
    help="INSZ of everyone under the obligation who does not satisfy it on 1 January of the "
    "year before the premium year (advice rule v1, Toepassing VERLAAGDE_PREMIE).",
)
@click.argument("year", type=YEAR)
@click.option(
    "--zorgkas",
    callback=_not_empty,
    help="only the members of this zorgkas (its identifier)",
)
@export_options("csv", "json", "xml")
@rule_options
def export_premie(
    year: int,
    zorgkas: str | None,
    fmt: str,
    out,
    no_builtin,
    today,
    fixtures,
    store,
    rules,
    termijn_aanmelding,
    termijn_contract,
) -> None:
    # with a zorgkas, from a catalogue only those whose data names it are built
    members = naming_zorgkas(zorgkas) if zorgkas is not None else None
    if zorgkas is not None:
        consumers = [a.zorgkas for a in Afnemers() if a.zorgkas]  # the demo consumers
        if not lists.zorgkas_known(
            zorgkas, persona_source(no_builtin, fixtures, store, members), consumers
        ):
            first_members = naming_a_zorgkas_outside(consumers)  # the others are not built
            known = lists.known_zorgkassen(
                persona_source(no_builtin, fixtures, store, first_members), consumers
            )
            raise Refused(
                f"unknown zorgkas {zorgkas!r}: no consumer's and nobody's membership (known: "
                f"{', '.join(known) or 'none'}){did_you_mean(zorgkas, known)}"
            )
    items = (
        {"insz": insz}
        for insz in lists.verlaagde_premie(
            persona_source(no_builtin, fixtures, store, members),
            year,
            today or real_today(),
            zorgkas=zorgkas,
            terms=Terms(termijn_aanmelding, termijn_contract),
            rule_set=rules,
        )
    )
    header = {"premiejaar": year, "peildatum": f"{year - 1}-01-01", "zorgkas": zorgkas}
    _write_out(out, formats.in_format(fmt, items, ["insz"], header, "VerlaagdePremie"))


def _municipality_list(name: str, help_text: str, make_list, fields, root: str) -> None:
    @export.command(
        name,
        short_help=help_text,
        help=f"{help_text[0].upper()}{help_text[1:]}. 'magda-kbi municipalities' lists the known"
        " NIS codes.",
    )
    @click.argument("nis")
    @click.option(
        "--year",
        type=YEAR,
        help="the list for this year: residents on 1 January of it (default: today)",
    )
    @export_options("csv", "json", "xml")
    def command(
        nis: str, year: int | None, fmt: str, out, no_builtin, today, fixtures, store
    ) -> None:
        vandaag = today or real_today()
        if year is not None:
            vandaag = min(vandaag, date(year, 1, 1))  # the KBI knows nothing of later
        if not lists.nis_known(nis, persona_source(no_builtin, fixtures, store, keep=naming(nis))):
            raise Refused(
                f"unknown NIS code {nis!r}: no municipality of the register and nobody's "
                f"residence{nis_hint(nis)}; 'magda-kbi municipalities' lists the known ones"
            )
        header = {
            "nis": nis,
            **({"jaar": year} if year is not None else {}),
            "peildatum": vandaag.isoformat(),
        }
        items = make_list(
            persona_source(no_builtin, fixtures, store, keep=naming(nis)), nis, vandaag
        )
        _write_out(out, formats.in_format(fmt, items, fields, header, root))


_municipality_list(
    "gemeente",
    "residents of a municipality with their inburgering status",
    lists.gemeente,
    lists.GEMEENTE_VELDEN,
    "Inburgeraars",
)
_municipality_list(
    "participatie",
    "the participation-trajectory list of a municipality",
    lists.participatie,
    lists.PARTICIPATIE_VELDEN,
    "Participatietraject",
)


MAX_KEY_BYTES = 65_536  # a key longer than SHA-256's block (64 bytes) is hashed anyway


@export.command(
    "abb",
    short_help="the pseudonymised ABB monitoring export (CSV)",
    help="CSV with a keyed pseudonym (HMAC-SHA256 of the INSZ) and the ABB protocol's "
    "monitoring fields; no INSZ, name, birth date or address.",
)
@click.option(
    "--key-file",
    type=PATH_TYPE,
    required=True,
    help="the secret key (at least 32 bytes); it never leaves the file",
)
@export_options("csv")
def export_abb(key_file: Path, fmt: str, out, no_builtin, today, fixtures, store) -> None:
    try:
        with key_file.open("rb") as handle:  # a bounded read: /dev/urandom has no end
            key = handle.read(MAX_KEY_BYTES + 1)
    except OSError as error:
        raise Refused(f"cannot read the key file {key_file}: {error.strerror}") from None
    if len(key) > MAX_KEY_BYTES:
        raise Refused(
            f"the key file holds more than {MAX_KEY_BYTES:,} bytes: a key is a file of 32 or"
            " more random bytes that stays the same (not /dev/urandom itself: write"
            " 'head -c 32 /dev/urandom > FILE' once)"
        )
    if len(key) < 32:
        raise Refused(
            "the key file must hold at least 32 bytes (e.g. from 'head -c 32 /dev/urandom')"
        )
    items = lists.abb(persona_source(no_builtin, fixtures, store), key, today or real_today())
    _write_out(out, formats.csv_rows(items, list(lists.ABB_VELDEN)))
