"""The checks of loaded specs, run in a forked process while the render derives its output.

The checks read the specs only, and a large spec takes seconds of them: on a machine with several
cores a render need not wait for them before it derives. Nothing derived reaches DIR, and no worker
outlives a failed check (`failed` is asked while they run), before the checks found every spec
valid; where fork is missing, the specs are checked here, first.
"""

from __future__ import annotations

import os
import pickle
import select
from dataclasses import dataclass

from promgen.errors import Problem
from promgen.load.inputs import Checked, judge_all, valid_specs


@dataclass
class _Verdict:
    problems: list[list[Problem]]
    conflicted: list[bool]


class Judging:
    """`judge_all(results)` under way in a child process; `wait` gives the judged results."""

    def __init__(self, results: list[Checked], beside: bool = True) -> None:
        """`beside`: in a child process (else here, now: for a render too light to run workers)."""
        self.results = results
        self._verdict: _Verdict | None = None
        self._reader: int | None = None
        self._child = 0
        if not beside or not hasattr(os, "fork"):
            judge_all(results)
            self._verdict = _Verdict([r.problems for r in results], [r.conflicted for r in results])
            return
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: judge, send the verdict, leave without running the parent's exit code
            os.close(reader)
            code = 0
            try:
                judged = judge_all(results)
                payload = pickle.dumps(_Verdict([r.problems for r in judged], [r.conflicted for r in judged]))
            except BaseException:  # the parent judges again, in itself, and shows what went wrong there
                payload, code = b"", 1
            with os.fdopen(writer, "wb") as stream:
                stream.write(payload)
            os._exit(code)
        os.close(writer)
        self._reader, self._child = reader, pid

    def done(self) -> bool:
        """Whether the verdict is in (never blocks)."""
        if self._verdict is None and self._reader is not None:
            ready, _, _ = select.select([self._reader], [], [], 0)
            if ready:
                self._receive()
        return self._verdict is not None

    def failed(self) -> bool:
        """The checks are done and found an error (never blocks)."""
        return self.done() and not all(r.valid for r in self._apply())

    def wait(self) -> list[Checked]:
        """The judged results (blocks until the checks are done)."""
        if self._verdict is None:
            self._receive()
        return self._apply()

    def warnings(self) -> list[Problem]:
        """The specs' warnings once the checks are done; SpecError with every problem when a spec is
        not valid."""
        return valid_specs(self.wait())[1]

    def gate(self, block: bool) -> bool:
        """promgen.produce.parts.workers' gate: stop when the checks found an error (`block`: wait for them)."""
        return not all(result.valid for result in self.wait()) if block else self.failed()

    def _receive(self) -> None:
        assert self._reader is not None
        with os.fdopen(self._reader, "rb") as stream:
            payload = stream.read()
        self._reader = None
        _, status = os.waitpid(self._child, 0)
        if payload and os.waitstatus_to_exitcode(status) == 0:
            verdict = pickle.loads(payload)  # from our own child, through a pipe only it could write
            if isinstance(verdict, _Verdict):
                self._verdict = verdict
                return
        judge_all(self.results)  # the child failed: judged again here, where any error is shown
        self._verdict = _Verdict([r.problems for r in self.results], [r.conflicted for r in self.results])

    def _apply(self) -> list[Checked]:
        assert self._verdict is not None
        for result, problems, conflicted in zip(self.results, self._verdict.problems, self._verdict.conflicted):
            result.problems, result.conflicted = problems, conflicted
        return self.results
