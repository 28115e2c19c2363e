"""Where, when and with what a benchmark ran: the one header line every results page starts from.

The machines are shared with other jobs, so the load average goes in too: a number measured at
load 6 on 2 cores means something else than one measured at load 1.
"""
import datetime
import os
import platform
from importlib import metadata


def cpu_name():
    """The CPU model from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine() or "unknown CPU"


def load_average():
    """'1.2, 1.8, 3.3': the load average over 1, 5 and 15 minutes."""
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def describe(packages, moment):
    """'2026-11-26 05:23 UTC; AMD EPYC, 2 cores, Linux 6.1; load average (1, 5, 15 min) at the
    <moment> of the run: 1.2, 1.8, 3.3; Python 3.11.7, numpy 2.4.6, …' for the given package
    names (one not installed is said to be)."""
    versions = [f"Python {platform.python_version()}"]
    for name in packages:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} not installed")
    return (f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {cpu_name()}, "
            f"{os.cpu_count()} cores, {platform.system()} {platform.release()}; load average "
            f"(1, 5, 15 min) at the {moment} of the run: {load_average()}; " + ", ".join(versions))
