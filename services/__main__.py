"""``python -m magda_kbi``: the ``magda-kbi`` command without the console script."""

from magda_kbi.adapters.cli import main

raise SystemExit(main())
