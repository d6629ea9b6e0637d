"""Measuring schedules on a Ray cluster: `tessera tune --runner ray [--address ADDR]`.

`RayMeasurer` is `CMeasurer` with its two phases moved onto a cluster. Each candidate is one
Ray task that builds the candidate (`build`: schedule, lower, emit, compile into the worker
node's own library cache) and runs it (`run`: a fresh `measure_worker.py` process with the
time-out) in a temporary directory of the worker node, and returns the status, the cost and
the outputs. So every node needs the same Tessera installed (the `[distributed]` extra) and a
C compiler; nothing is shared through the file system.

- *Inputs*: the seeded inputs of a workload are put into Ray's object store once
  (`ray.put`) and each task writes its own `.npz` of them; the driver's temporary files are
  not visible on other nodes.
- *Checking*: the reference (the naive loop nest of the kernel) is built and run here, on
  the driver, as `CMeasurer` does; a task's outputs come back through the object store and
  are checked here (`tuning.checked`, shared with `CMeasurer`), so a node that computes a
  wrong result is caught like a local one. Each outcome's detail names the node it ran on.
- *Cores*: each task asks Ray for `threads` CPUs, so tasks that share a node do not share
  cores (as Ray counts them: it reserves, it does not pin). They do share caches and memory
  bandwidth; on a node with spare CPUs several candidates are timed at once, which is the
  price of measuring a batch in parallel.
- *Order*: all candidates of a batch are submitted at once; outcomes are yielded in
  submission order, each as soon as it and those before it are done, so the tuner records
  them as they come.
- *Failures*: a failing candidate is an outcome as with `CMeasurer` (`compile-error`,
  `crash`, `timeout`, `wrong`); a Ray worker that dies is a `crash`. A failure of the
  cluster itself (a task that raises, a node or the object store lost) stops the run with a
  `TesseraError` rather than recording a failure the candidate did not cause; the trials
  measured so far are in the database and the next run resumes from them.

The target key, the resources a search space is built from and the default schedule are the
driver's (`CMeasurer`'s): timings taken on different nodes are comparable, and belong under
that key, only when the nodes are alike (same CPU model, compiler and flags) and like the
driver. Tune on a cluster of identical machines, and tune from one of them.

`address=None` starts a local Ray instance with `jobs` CPUs (default: all cores) and shuts
it down on `close()`; an address (`host:port` of the head node, `ray://host:port` for Ray
Client, or `auto`) joins a running cluster, which `close()` leaves running. A Ray session
this process already has (`ray.init` called before) is used as it is, and left running.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.measure import Outcome
from tessera.lowering.workloads import Workload
from tessera.targets.c.tuning import CMeasurer, Run, _Prepared, build, checked, run

CONNECT_TIMEOUT_S = 5.0  # how long to wait for a cluster's head node to answer


def measure_candidate(kernel: str, schedule_json: str, inputs: dict[str, np.ndarray], *,
                      threads: int, repeat: int, min_sample_s: float,
                      timeout_s: float) -> tuple[Run, str]:
    """One candidate, on a worker node: build, run in a private temporary directory; the
    run (with its outputs) and the node's name come back."""
    built = build(kernel, schedule_json)
    with tempfile.TemporaryDirectory(prefix="tessera-ray-") as directory:
        path = os.path.join(directory, "inputs.npz")
        if not built.error:
            np.savez(path, **inputs)
        result = run(built, path, directory, threads=threads, repeat=repeat,
                     min_sample_s=min_sample_s, timeout_s=timeout_s)
    return result, platform.node()


class RayMeasurer(CMeasurer):
    """Measures candidates on a Ray cluster (see the module docstring)."""

    def __init__(self, *, address: str | None = None, **options):
        super().__init__(**options)
        try:
            import ray
        except ImportError:
            raise TesseraError("the ray runner needs Ray: install the [distributed] extra "
                               "(pip install 'tessera[distributed]')") from None
        self._ray = ray
        self._started = False
        self._inputs: dict[str, Any] = {}  # workload key -> ObjectRef of its input arrays
        if not ray.is_initialized():
            self._connect(address)
        self._task = ray.remote(measure_candidate)

    def _connect(self, address: str | None) -> None:
        ray = self._ray
        if address is None:
            where = "start a local Ray instance"
            options = dict(address="local", num_cpus=max(self.jobs, self.threads),
                           include_dashboard=False)
        else:
            where = f"connect to the Ray cluster at {address}"
            _probe(address)
            options = dict(address=address)
        try:
            ray.init(logging_level=logging.WARNING, **options)
        except Exception as e:
            raise TesseraError(f"cannot {where}: {_summary(e)}") from None
        self._started = True

    def measure(self, workload: Workload, schedules: Sequence[Schedule]) -> Iterator[Outcome]:
        ray = self._ray
        prepared = self._prepare(workload)
        inputs = self._put_inputs(workload, prepared)
        task = self._task.options(num_cpus=self.threads)
        refs = [task.remote(workload.kernel, s.dumps(), inputs, threads=self.threads,
                            repeat=self.repeat, min_sample_s=self.min_sample_s,
                            timeout_s=self.timeout_s)
                for s in schedules]
        done = 0
        try:
            for ref in refs:
                result, node = self._get(ref, workload)
                done += 1
                outcome = checked(result, prepared.reference)
                where = f"on {node}" if node else ""
                detail = (f"{outcome.detail} ({where})" if outcome.detail and where
                          else outcome.detail or where)
                yield replace(outcome, detail=detail)
        finally:
            for ref in refs[done:]:  # abandoned (an error, Ctrl-C): free the cluster
                try:
                    ray.cancel(ref)
                except Exception:
                    pass

    def close(self) -> None:
        self._inputs.clear()
        super().close()
        if self._started:
            self._started = False
            self._ray.shutdown()

    # -- helpers ----------------------------------------------------------------------------

    def _put_inputs(self, workload: Workload, prepared: _Prepared):
        """The workload's input arrays in the object store, put there once."""
        ref = self._inputs.get(workload.key)
        if ref is None:
            with np.load(prepared.inputs) as data:
                arrays = {name: data[name] for name in data.files}
            ref = self._inputs[workload.key] = self._ray.put(arrays)
        return ref

    def _get(self, ref, workload: Workload) -> tuple[Run, str]:
        exceptions = self._ray.exceptions
        try:
            return self._ray.get(ref)
        except (exceptions.WorkerCrashedError, exceptions.OutOfMemoryError) as e:
            return Run("crash", detail=f"the Ray worker died: {_summary(e)}"), ""
        except exceptions.RayError as e:
            raise TesseraError(f"tuning {workload.key}: a Ray task failed: "
                               f"{_summary(e)}") from None


def _probe(address: str) -> None:
    """Fail fast when a `host:port` (or `ray://host:port`) does not answer: `ray.init`
    would retry for minutes."""
    host, sep, port = address.strip().removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return  # `auto`, or a form Ray judges itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), CONNECT_TIMEOUT_S).close()
    except OSError as e:
        reason = e.strerror or str(e) or type(e).__name__
        raise TesseraError(f"cannot connect to the Ray cluster at {address}: {reason}") \
            from None


def _summary(error: BaseException) -> str:
    """One line about `error`: for a task that raised, the exception it raised."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        error = cause
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
