"""spyne on Python 3.12+: the six.moves alias (the full suite on 3.12/3.13 is the real proof)."""

import subprocess
import sys

import pytest

from magda_kbi import compat


def test_install_is_needed_only_from_3_12():
    assert compat.needed() == (sys.version_info >= (3, 12))


def test_the_finder_serves_spyne_six_moves_from_six():
    pytest.importorskip("six")
    code = (
        "import sys\n"
        "from magda_kbi import compat\n"
        "sys.meta_path.insert(0, compat.SixMovesAliasFinder())\n"
        "import spyne.util.six.moves.urllib.parse as a\n"
        "import six.moves.urllib.parse as b\n"
        "assert a is b\n"
        "from spyne.util.six.moves import collections_abc\n"
        "import collections.abc\n"
        "assert collections_abc is collections.abc\n"
        "import spyne.server.wsgi\n"
        "print('ok')\n"
    )
    proces = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert proces.stdout.strip() == "ok", proces.stderr


def test_other_modules_are_left_alone():
    finder = compat.SixMovesAliasFinder()
    assert finder.find_spec("spyne.util.six") is None
    assert finder.find_spec("six.moves") is None
    assert finder.find_spec("spyne.util.six.movesx") is None
    assert finder.find_spec("spyne.util.six.moves").name == "spyne.util.six.moves"


def test_install_is_idempotent():
    voor = list(sys.meta_path)
    compat.install()
    compat.install()
    nieuw = [f for f in sys.meta_path if f not in voor]
    assert len(nieuw) <= 1
