"""The per-user desktop entry (``threadloom --install-desktop``) and the packaged one agree and validate."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from threadloom import desktop

from .conftest import REPO

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="desktop entries are a Linux feature")

PACKAGED = REPO / "packaging" / "linux" / f"{desktop.APP_ID}.desktop"


def test_packaged_entry_is_the_generated_one():
    assert PACKAGED.read_text() == desktop.desktop_entry(["threadloom"])


def test_exec_line_quotes_paths_with_spaces_and_reserved_characters():
    entry = desktop.desktop_entry(["/home/ann lee/bin/threadloom", "--x=$HOME"])
    assert 'Exec="/home/ann lee/bin/threadloom" "--x=\\$HOME" gui\n' in entry


def test_install_then_uninstall_for_this_user(tmp_path, monkeypatch):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    install = subprocess.run(
        [sys.executable, "-m", "threadloom", "--install-desktop"], env=env, capture_output=True, text=True, timeout=120
    )
    assert install.returncode == 0, install.stderr
    written = desktop.installed_files(tmp_path)
    assert all(path.is_file() for path in written)
    assert install.stdout.count("Wrote ") == len(written)
    entry = (tmp_path / "applications" / f"{desktop.APP_ID}.desktop").read_text()
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    # `python -m threadloom` has no script of its own: the entry must start this interpreter.
    assert exec_line == f"Exec={sys.executable} -m threadloom gui" or exec_line.endswith("threadloom gui")
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(written[0])], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    png = (tmp_path / "icons" / "hicolor" / "48x48" / "apps" / f"{desktop.APP_ID}.png").read_bytes()
    assert png.startswith(b"\x89PNG")

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert desktop.uninstall_desktop_entry() == 0
    assert not any(path.exists() for path in written)
