"""Qt-free models: the columnar trace and the metrics computed from it."""

from .metrics import DISTURBED_AT, GroupMetrics, Latency, OpLatency, ProcessMemory, RunMetrics, compute_metrics
from .trace import STATES, TaskInfo, Trace, WorkerInfo, worker_labels

__all__ = [
    "DISTURBED_AT",
    "STATES",
    "GroupMetrics",
    "Latency",
    "OpLatency",
    "ProcessMemory",
    "RunMetrics",
    "TaskInfo",
    "Trace",
    "WorkerInfo",
    "compute_metrics",
    "worker_labels",
]
