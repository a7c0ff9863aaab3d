"""Packaging inputs that can be checked without building: icons, the probe's plain sources, the entry script.

The build itself (PyInstaller, .deb, frozen app) is checked by `make package-check`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO

PACKAGING = REPO / "packaging"


def _spec_common():
    spec = importlib.util.spec_from_file_location("spec_common", PACKAGING / "spec_common.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_icons_match_the_svg():
    result = subprocess.run(
        [sys.executable, str(PACKAGING / "render-icons.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr


def test_probe_runs_from_the_plain_sources_the_bundle_carries(tmp_path):
    """What the spec copies to probe-src is enough for another interpreter to run the probe, stdlib only."""
    root = tmp_path / "probe-src"
    for source, folder in _spec_common().probe_source_datas():
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp_path / folder)
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "import threadloom.probe.main, threadloom.probe.echo, threadloom.probe.models as m\n"
        "mods = [v.__file__ for k, v in sys.modules.items() if k.startswith('threadloom')]\n"
        "print(json.dumps({'files': mods, 'models': list(m.model_names())}))\n"
    )
    # -s -E: no site-packages, no PYTHONPATH, so nothing can come from the checkout or the venv.
    result = subprocess.run(
        [sys.executable, "-s", "-E", "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["files"] and all(f.startswith(str(root)) for f in found["files"]), found["files"]
    assert "process-pool" in found["models"]


def test_qt_excludes_keep_what_the_app_imports_and_drop_qml():
    excludes = set(_spec_common().qt_excludes())
    for kept in ("QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGL"):
        assert f"PySide6.{kept}" not in excludes
    assert {"PySide6.QtQml", "PySide6.QtQuick"} <= excludes


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="desktop metadata is validated on Linux")
def test_metainfo_validates():
    if not shutil.which("appstreamcli"):
        pytest.skip("appstreamcli is not installed (apt-get install appstream)")
    metainfo = PACKAGING / "linux" / "io.github.threadloom.Threadloom.metainfo.xml"
    result = subprocess.run(["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
