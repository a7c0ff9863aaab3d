"""Entry point of the frozen (PyInstaller) Threadloom app.

A frozen app has no separate interpreter to start children with: the probe,
its echo peer and the process-pool workers all re-execute this same file.
``multiprocessing.freeze_support()`` must therefore run first, before the
probe dispatch in ``threadloom.cli.main``: a spawned pool worker or
multiprocessing's resource tracker is recognised by its arguments and must
never reach argparse or Qt.
"""

import multiprocessing
import os
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    # qasync picks its binding from QT_API before trying PyQt6; only PySide6 is bundled.
    os.environ.setdefault("QT_API", "pyside6")
    from threadloom.cli import main

    sys.exit(main())
