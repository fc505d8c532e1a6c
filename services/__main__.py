"""``magda-kbi`` (the console script) and ``python -m magda_kbi``.

The command's modules take a few tenths of a second to import. For ``serve``, a Ctrl+C or
SIGTERM in that time is noted (:mod:`magda_kbi.adapters.stopping`) and serve stops, exit 0,
as it does at any later moment; before, it was a KeyboardInterrupt traceback. Another
command interrupted there says "Aborted!" (exit 1), as click does once it runs.
"""

import sys


def main() -> int:
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


if __name__ == "__main__":
    raise SystemExit(main())
