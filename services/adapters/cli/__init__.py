"""``magda-kbi``: serve the emulator, list the personas, compute an advice locally.

One module per command or group (``serve``, ``catalogue``, ``local``, ``export``,
``client``); what they share is in ``common``.

The command line is click's (already installed with Flask): environment variables, types,
help and usage errors come from it. Exit codes: 0 done, 1 a negative answer (a number that
is no test number, MAGDA answering with an error), 2 refused input, 3 no answer at all.
"""

from __future__ import annotations

import errno
import io
import os
import sys

import click

from magda_kbi import __version__
from magda_kbi.adapters.cli.catalogue import consumers, municipalities, persona_table, personas
from magda_kbi.adapters.cli.client import client
from magda_kbi.adapters.cli.common import (
    ENV_PREFIX,
    ENV_SETTINGS,
    Group,
    Refused,
    output_to_nowhere,
)
from magda_kbi.adapters.cli.export import export
from magda_kbi.adapters.cli.local import advies, generate, insz
from magda_kbi.adapters.cli.serve import prune_catalogues, serve
from magda_kbi.io.schemas import nearest

__all__ = ["cli", "main", "persona_table", "prune_catalogues"]

NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}  # a full disk, a quota, a file's limit


def main(argv: list[str] | None = None) -> int:
    """The console script (and ``python -m magda_kbi``): the exit code."""
    if isinstance(sys.stdout, io.TextIOWrapper):  # the human lines: a name the output
        sys.stdout.reconfigure(errors="backslashreplace")  # cannot encode is no traceback
    failed: OSError | None = None
    try:
        cli.main(args=argv, prog_name="magda-kbi")
    except SystemExit as end:
        code = end.code if isinstance(end.code, int) else (0 if end.code is None else 1)
    except OSError as error:
        # standard output that takes no more (``> file`` on a full disk) was a traceback.
        # The commands write their files themselves (--out), and say why they cannot; a
        # file they read has its name in the error: this is the output's.
        if error.filename is not None or error.errno not in NO_ROOM:
            raise
        output_to_nowhere()
        failed = error
    else:
        code = 0
    if (failed := failed or _failing_output()) is not None:
        Refused(f"standard output: cannot write: {failed.strerror or failed}").show()
        return Refused.exit_code
    return code


def _failing_output() -> OSError | None:
    """Why standard output cannot be written (what its buffer holds then goes nowhere), or
    None: written, or its reader gone (``| head``: no error, as click has it)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        output_to_nowhere()
    except OSError as error:
        output_to_nowhere()
        return error
    return None


@click.group(
    cls=Group,
    help="Emulator of the MAGDA services GeefDossierKBI (02.00, 01.00) and Automatisch advies "
    "(Kruispuntbank Inburgering), with test personas.",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="magda-kbi", message="%(prog)s %(version)s")
def cli() -> None:
    _misspelt_settings(os.environ)


def _misspelt_settings(environ) -> None:
    """Notes a variable that looks like a misspelt setting: MAGDA_KBI_ADMIN_TOKN was read
    by nothing, and serve's admin API was open without a word. Names near no setting are
    left alone (a user's own MAGDA_KBI_URL, say)."""
    settings = [name.removeprefix(ENV_PREFIX) for name in ENV_SETTINGS]
    for name in sorted(environ):
        given = name.removeprefix(ENV_PREFIX)
        if name.startswith(ENV_PREFIX) and given not in settings:
            meant = nearest(given, settings)
            if meant is not None:
                click.echo(
                    f"magda-kbi: note: {name} is not read; did you mean {ENV_PREFIX}{meant}?",
                    err=True,
                )


for command in (serve, personas, advies, insz, generate, export, consumers, municipalities, client):
    cli.add_command(command)
