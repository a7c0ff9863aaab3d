import sys

if sys.version_info < (3, 9):
    # Before any import that might fail in an older Python's own way: one clear line, and the
    # parent words it as "the probe did not start (...; it needs Python 3.9 or newer)".
    sys.stderr.write("threadloom probe: Python %d.%d is too old\n" % sys.version_info[:2])
    sys.exit(2)

from threadloom.probe.main import main

if __name__ == "__main__":
    main()
