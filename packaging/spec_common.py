"""What every PyInstaller spec of Threadloom shares: inputs, data files and exclusions.

The Linux, Windows and macOS specs import this module (they put
``packaging/`` on ``sys.path`` first), so the three bundles carry the same
files and leave out the same Qt modules. It runs inside PyInstaller, at build
time only.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "app"
PACKAGE_DIR = APP_DIR / "threadloom"
ENTRY = str(ROOT / "packaging" / "threadloom_entry.py")
ICON_ID = "io.github.threadloom.Threadloom"
ICON_SVG = ROOT / "resources" / "icons" / f"{ICON_ID}.svg"
ICON_PNG = ROOT / "resources" / "icons" / f"{ICON_ID}-256.png"
VERSION = re.search(r'^__version__ = "(.+)"$', (PACKAGE_DIR / "__init__.py").read_text(), re.M).group(1)

#: The Qt modules Threadloom imports. pyqtgraph imports QtOpenGL and
#: QtOpenGLWidgets by name at start-up even with OpenGL off (Qt/OpenGLHelpers.py).
#: QPdfWriter and QSvgGenerator live in QtGui and QtSvg, so PDF/SVG export
#: needs no QtPrintSupport.
QT_KEEP = {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtOpenGL", "QtOpenGLWidgets"}

#: Not Qt, but pulled in by optional imports of numpy, pyqtgraph and qasync.
OTHER_EXCLUDES = [
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "pyqtgraph.opengl",
    "pyqtgraph.examples",
    "pyqtgraph.jupyter",
    "pyqtgraph.console",
    "OpenGL",
    "IPython",
    "jupyter_rfb",
    "matplotlib",
    "scipy",
    "h5py",
    "numba",
    "cupy",
    "pandas",
    "pytest",
    "_pytest",
    "pydoc_data",
    "lib2to3",
    # The models that need packages import them in the probe's interpreter, which for the bundle is
    # one the user picks (the bundled Python has none of them); `make test` installs them beside the
    # packaging tools, and Ray alone would add hundreds of MB.
    "ray",
    "gevent",
    "greenlet",
    "uvloop",
    "zope.event",
    "zope.interface",
]


def probe_source_datas() -> list[tuple[str, str]]:
    """The stdlib-only probe as plain ``.py`` files under ``probe-src/threadloom``.

    External interpreters (``--interpreter python3.13``) import the probe from
    there, since they cannot read the bundle's archive; see
    ``threadloom.engine.interpreters.probe_source_root``.
    """
    files = [PACKAGE_DIR / "__init__.py"]
    files += sorted((PACKAGE_DIR / "wire").glob("*.py"))
    files += sorted((PACKAGE_DIR / "probe").rglob("*.py"))
    datas = []
    for path in files:
        relative = path.parent.relative_to(PACKAGE_DIR)
        datas.append((str(path), str(Path("probe-src") / "threadloom" / relative)))
    return datas


def resource_datas() -> list[tuple[str, str]]:
    """Presets, icons and fonts, where ``threadloom.resources`` looks when frozen."""
    return [(str(ROOT / "resources"), "threadloom/resources")]


def qt_excludes() -> list[str]:
    """Every PySide6 module except :data:`QT_KEEP`, read from the installed wheel.

    Listing what is installed (rather than a fixed list) keeps QML, Quick,
    WebEngine, 3D and Multimedia out even when a PySide6 upgrade adds modules.
    """
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("PySide6 is not installed in the interpreter running PyInstaller")
    folder = Path(next(iter(spec.submodule_search_locations)))
    names = set()
    for path in folder.iterdir():
        name = path.name.split(".", 1)[0]
        if name.startswith("Qt") and path.suffix in {".so", ".pyd"}:
            names.add(name)
    return [f"PySide6.{name}" for name in sorted(names - QT_KEEP)]


def excludes() -> list[str]:
    return qt_excludes() + OTHER_EXCLUDES


def hidden_imports() -> list[str]:
    """Modules imported by name at run time, which the analysis cannot see."""
    # Subcommands and views are imported inside functions; collect them all so a lazy import never fails frozen.
    # pyqtgraph imports the OpenGL modules with importlib; the SVG icon engine and exports need QtSvg.
    modules = ["PySide6.QtSvg", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"]
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = list(path.relative_to(APP_DIR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] != "__main__":
            modules.append(".".join(parts))
    return modules


#: Qt plugins a desktop app does not load: framebuffer/VNC/Vulkan platforms,
#: evdev input (used with those), and the GTK3 theme, which would drag a
#: private copy of cairo, pango and GDK into the bundle and clash with the
#: system's GTK. Qt falls back to its own or the XDG portal theme.
DROP_PLUGINS = (
    "platforms/libqeglfs.so",
    "platforms/libqlinuxfb.so",
    "platforms/libqminimalegl.so",
    "platforms/libqvkkhrdisplay.so",
    "platforms/libqvnc.so",
    "platformthemes/libqgtk3.so",
    "egldeviceintegrations/*",
    "generic/*",
)


def prune_binaries(binaries: list, datas: list, get_imports) -> tuple[list, list]:
    """Drop :data:`DROP_PLUGINS`, every shared library only they needed, and links to those.

    PyInstaller collects a plugin's dependencies before a spec can drop the
    plugin, so this walks the ``DT_NEEDED`` graph again from what the app
    really loads: extension modules, the plugins that remain, libpython.
    ``get_imports`` is ``PyInstaller.depend.bindepend.get_imports``. The
    links PyInstaller puts in the top-level folder are ``SYMLINK`` entries of
    ``datas``; links to dropped libraries are dropped with them.
    """
    from fnmatch import fnmatch

    def dropped(dest: str) -> bool:
        plugin = dest.replace("\\", "/").split("/plugins/", 1)
        return len(plugin) == 2 and any(fnmatch(plugin[1], pattern) for pattern in DROP_PLUGINS)

    files = [entry for entry in binaries if not dropped(entry[0])]
    by_name = {}
    for entry in files:
        by_name.setdefault(Path(entry[0]).name, entry)
    roots = [
        entry
        for entry in files
        if entry[2] == "EXTENSION"
        or "/plugins/" in entry[0].replace("\\", "/")
        or Path(entry[0]).name.startswith("libpython")
    ]
    # By source file: PyInstaller may list one library under two names.
    keep = {entry[1] for entry in roots}
    todo = list(roots)
    while todo:
        _dest, src, _kind = todo.pop()
        for name, _path in get_imports(src):
            entry = by_name.get(Path(name).name)
            if entry is not None and entry[1] not in keep:
                keep.add(entry[1])
                todo.append(entry)
    kept_binaries = [entry for entry in files if entry[1] in keep]
    gone = {os.path.normpath(entry[0]) for entry in binaries} - {os.path.normpath(entry[0]) for entry in kept_binaries}

    def link_ok(entry) -> bool:
        dest, target, kind = entry
        return kind != "SYMLINK" or os.path.normpath(os.path.join(os.path.dirname(dest), target)) not in gone

    kept_datas = [entry for entry in datas if link_ok(entry)]
    print(
        f"threadloom spec: kept {len(kept_binaries)} of {len(binaries)} binaries, "
        f"dropped {len(datas) - len(kept_datas)} links"
    )
    return kept_binaries, kept_datas


def prune_datas(datas: list) -> list:
    """Drop Qt's translations: Threadloom's own text is English only, and a half-translated UI reads worse."""
    return [entry for entry in datas if "/Qt/translations/" not in "/" + entry[0].replace("\\", "/")]
