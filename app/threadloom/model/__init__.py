"""Qt-free models: the columnar trace and the metrics computed from it."""

from .metrics import GroupMetrics, Latency, RunMetrics, compute_metrics
from .trace import STATES, TaskInfo, Trace, WorkerInfo, worker_labels

__all__ = [
    "STATES",
    "GroupMetrics",
    "Latency",
    "RunMetrics",
    "TaskInfo",
    "Trace",
    "WorkerInfo",
    "compute_metrics",
    "worker_labels",
]
