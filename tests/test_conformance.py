"""The probes against partner apps on three real frameworks (tests/partners/).

Each stack's app starts once; every case of tests/partners/cases.toml runs against it: the
correct app passes clean, each valid variation comes out as the correct app does, and each fault
fails exactly its probe with its reason code and changes no other probe's outcome.
"""

from __future__ import annotations

import shutil

import pytest

from tests.partners.harness import STACKS, CaseRun, load_cases, run_stack

CASES = load_cases()


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, CaseRun]]:
    """Filled per stack on first use: every case's run."""
    return {}


def _runs(corpus: dict[str, dict[str, CaseRun]], stack: str) -> dict[str, CaseRun]:
    if stack not in corpus:
        if stack == "express" and shutil.which("node") is None:
            pytest.fail("node is not installed: the Express partner app needs it")
        corpus[stack] = {run.case.name: run for run in run_stack(stack)}
    return corpus[stack]


def test_every_stack_has_enough_cases() -> None:
    kinds = [case.kind for case in CASES]
    assert kinds.count("valid") >= 8
    assert kinds.count("fault") >= 15


@pytest.mark.parametrize("case", [case.name for case in CASES])
@pytest.mark.parametrize("stack", list(STACKS))
def test_case(corpus: dict[str, dict[str, CaseRun]], stack: str, case: str) -> None:
    run = _runs(corpus, stack)[case]
    assert run.verdict.ok, "\n".join(run.verdict.problems)
