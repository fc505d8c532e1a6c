"""spyne on Python 3.11-3.13: the six.moves alias (the full suite on 3.12/3.13 is the real
proof), and no warning of spyne's reaching a user."""

import subprocess
import sys

from magda_kbi.adapters import compat


def test_importing_the_emulator_warns_nothing():
    """A user's test run with -W error must not trip over spyne's cgi or six importer."""
    code = (
        "import magda_kbi.adapters.app, magda_kbi.adapters.pytest_plugin, json, xml.dom.minidom\n"
        "import magda_kbi.adapters.soap\n"  # imported at the first request that needs spyne
        "print('ok')\n"
    )
    process = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60
    )
    assert process.stdout.strip() == "ok", process.stderr


def test_the_finder_serves_spyne_six_moves_from_six():
    code = (
        "import sys\n"
        "from magda_kbi.adapters import compat\n"
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
    process = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert process.stdout.strip() == "ok", process.stderr


def test_other_modules_are_left_alone():
    finder = compat.SixMovesAliasFinder()
    assert finder.find_spec("spyne.util.six") is None
    assert finder.find_spec("six.moves") is None
    assert finder.find_spec("spyne.util.six.movesx") is None
    assert finder.find_spec("spyne.util.six.moves").name == "spyne.util.six.moves"


def test_install_is_idempotent():
    before = list(sys.meta_path)
    compat.install()
    compat.install()
    new = [f for f in sys.meta_path if f not in before]
    assert len(new) <= 1
