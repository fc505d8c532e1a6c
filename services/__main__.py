"""``magda-kbi`` (the console script) and ``python -m magda_kbi``.

The command's modules take a few tenths of a second to import. For ``serve``, a Ctrl+C or
SIGTERM in that time is noted (:mod:`magda_kbi.adapters.stopping`) and serve stops, exit 0,
as it does at any later moment; before, it was a KeyboardInterrupt traceback. Another
command interrupted there says "Aborted!" (exit 1), as click does once it runs.
"""

import sys


def main() -> int:
    _closed_outputs_to_nowhere()
    serve = sys.argv[1:2] == ["serve"]
    if serve:
        from magda_kbi.adapters import stopping

        stopping.note_stops()
    try:
        try:
            from magda_kbi.adapters.cli import main as command
        except KeyboardInterrupt:  # another command: as click says it a moment later
            print("\nAborted!", file=sys.stderr)
            return 1
        if serve and stopping.stop_asked():
            return 0
        return command()
    finally:
        if serve:
            stopping.ignore_stops()


def _closed_outputs_to_nowhere() -> None:
    """Started with standard output or error closed (``>&-``, as a daemon may be), Python
    has None for them: a list written there was an AttributeError, and the next file
    opened (a store's database) took descriptor 1 or 2, where anything else that writes to
    it (granian, a C library) would write into that file. /dev/null takes their place."""
    import os

    for fd, name in ((1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is None:
            opened = os.open(os.devnull, os.O_WRONLY)
            if opened != fd:  # (the lowest free descriptor: this one, when it was closed)
                os.dup2(opened, fd)
                os.close(opened)
            setattr(sys, name, open(fd, "w", encoding="utf-8", closefd=False))  # noqa: SIM115


if __name__ == "__main__":
    raise SystemExit(main())
