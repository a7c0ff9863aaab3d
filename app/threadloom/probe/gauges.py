"""What the probe reads about itself and the machine: its resident memory and the others' CPU use.

Standard library only, Python 3.9 syntax (the probe runs under any interpreter).
Everything here reads ``/proc`` where there is one and degrades to ``None``
(or to ``getrusage``) where there is not. See docs/how-it-measures.md.
"""

from __future__ import annotations

import os
import sys

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICK_S = 1.0 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read().decode("ascii", "replace")
    except OSError:
        return None


class MemoryGauge:
    """The calling process's resident memory: a baseline, then the peak since it.

    :meth:`start` takes the baseline and, where Linux allows it, resets the
    kernel's high-water mark (``VmHWM``, via ``/proc/self/clear_refs``), so the
    peak read at :meth:`finish` is exact. :meth:`sample` (called by the
    recorder's flusher every few tens of ms) keeps a sampled peak, only on kernels
    that refuse the reset. Without ``/proc``, the peak is ``getrusage``'s
    ``ru_maxrss`` and there is no baseline.
    """

    def __init__(self) -> None:
        self._fd = -1
        try:
            self._fd = os.open("/proc/self/statm", os.O_RDONLY)
        except (OSError, AttributeError):
            pass
        self.baseline: int | None = None
        self._sampled = 0
        self._hwm_reset = False
        self.source = "statm" if self._fd >= 0 else "ru_maxrss"

    def rss(self) -> int | None:
        """Resident bytes now, or None without /proc."""
        if self._fd < 0:
            return None
        try:
            return int(os.pread(self._fd, 128, 0).split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            self._hwm_reset = True
        except OSError:
            self._hwm_reset = False
        self.baseline = self.rss()
        self._sampled = self.baseline or 0
        if self._fd >= 0:
            self.source = "vmhwm" if self._hwm_reset else "statm"

    def sample(self) -> None:
        # Where the kernel took the VmHWM reset, the peak at the end is exact: a sample would only cost
        # the flusher a read, and winning the GIL back after it (see recorder.py).
        if self.baseline is None or self._hwm_reset:
            return
        rss = self.rss()
        if rss is not None and rss > self._sampled:
            self._sampled = rss

    def peak(self) -> int | None:
        """The peak since :meth:`start` (bytes)."""
        if self._fd < 0:
            return _ru_maxrss()
        self.sample()
        peak = self._sampled
        if self._hwm_reset:
            peak = max(peak, _vm_hwm() or 0)
        return peak or None

    def figures(self) -> dict:
        """``baseline_rss_bytes``, ``peak_rss_bytes`` and ``rss_source``, for a trailer."""
        return {"baseline_rss_bytes": self.baseline, "peak_rss_bytes": self.peak(), "rss_source": self.source}


def _vm_hwm() -> int | None:
    text = _read("/proc/self/status")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            try:
                return int(line.split()[1]) * 1024
            except (ValueError, IndexError):
                return None
    return None


def _ru_maxrss() -> int | None:
    try:
        import resource
    except ImportError:
        return None
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


# -- the rest of the machine's CPU use ----------------------------------------


def cpu_snapshot():
    """``(machine_busy_s, own_s)`` now, or None without /proc.

    ``machine_busy_s``: CPU time every CPU spent not idle (``/proc/stat``,
    steal included: another virtual machine on the same host). ``own_s``: CPU
    time of the probe and every process it started (pool workers, the
    forkserver, the echo peer), with the children they have already reaped.
    """
    stat = _read("/proc/stat")
    if stat is None or not stat.startswith("cpu "):
        return None
    try:
        fields = [int(x) for x in stat.split("\n", 1)[0].split()[1:]]
    except ValueError:
        return None
    # user nice system idle iowait irq softirq steal guest guest_nice; guest time is inside user.
    busy = sum(fields[:8]) - fields[3] - (fields[4] if len(fields) > 4 else 0)
    own = _own_ticks()
    if own is None:
        return None
    return busy * _TICK_S, own * _TICK_S


def _own_ticks() -> int | None:
    me = os.getpid()
    procs = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    for name in names:
        if not name.isdigit():
            continue
        text = _read("/proc/%s/stat" % name)
        if text is None:
            continue
        try:
            rest = text.rsplit(")", 1)[1].split()
            ppid = int(rest[1])
            # utime stime cutime cstime: fields 14-17 of proc(5), 11-14 after the name
            ticks = int(rest[11]) + int(rest[12]) + int(rest[13]) + int(rest[14])
        except (IndexError, ValueError):
            continue
        procs[int(name)] = (ppid, ticks)
    if me not in procs:
        return None
    children: dict = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [me]
    while todo:
        pid = todo.pop()
        total += procs[pid][1]
        todo.extend(children.get(pid, ()))
    return total


def other_cpu_utilization(before, after, wall_s: float, cpu_count: int) -> float | None:
    """Share of all CPUs (0..1) that processes other than the probe's used between two snapshots."""
    if before is None or after is None or wall_s <= 0 or cpu_count <= 0:
        return None
    others = (after[0] - before[0]) - (after[1] - before[1])
    return round(min(1.0, max(0.0, others / (wall_s * cpu_count))), 4)
