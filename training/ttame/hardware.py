"""Where a run ran, in words: recorded in run summaries and, through them, in the pack manifest."""
from __future__ import annotations

import platform
from pathlib import Path

import torch


def describe_hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{_cpu_name()}, {torch.get_num_threads()} threads, torch {torch.__version__} (CPU)"


def _cpu_name() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
