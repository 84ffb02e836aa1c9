"""The scanner's outside interfaces: SARIF 2.1.0 output and the pre-commit hook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest
import yaml

if TYPE_CHECKING:
    from conftest import CliResult

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json").read_text())
TOKEN = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"


def test_sarif_output_validates_and_marks_examples_and_allowlisted_as_suppressed(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    log = tmp_path / "app.log"
    log.write_text(
        f"token {TOKEN}\nkey AKIAIOSFODNN7EXAMPLE\nmail dana.o42@gmail.com\n", encoding="utf-8"
    )
    allow = tmp_path / "allow.toml"
    allow.write_text('[[allow]]\nrule = "email"\npath = "*.log"\nreason = "test users"\n')
    done = run_cli("scan", str(log), "--format", "sarif", "--allowlist", str(allow))
    assert done.code == 1
    doc = json.loads(done.out)
    jsonschema.validate(doc, SCHEMA)
    [run] = doc["runs"]
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"github-token", "aws-access-key-id", "email"}
    assert "suppressions" not in results["github-token"]
    assert results["github-token"]["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1,
        "startColumn": 7,
    }
    assert results["aws-access-key-id"]["suppressions"][0]["kind"] == "inSource"
    assert "documented example" in results["aws-access-key-id"]["suppressions"][0]["justification"]
    assert results["email"]["suppressions"] == [{"kind": "external", "justification": "test users"}]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        run["results"][i]["ruleId"] for i in range(3)
    ] or len(run["tool"]["driver"]["rules"]) == 3
    assert TOKEN not in done.out and "dana.o42" not in done.out


def test_a_clean_scan_is_valid_sarif_with_no_results(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    (tmp_path / "a.log").write_text("all quiet\n")
    done = run_cli("scan", str(tmp_path), "--format", "sarif")
    assert done.code == 0
    doc = json.loads(done.out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["runs"][0]["results"] == []


# --- pre-commit ---------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.invalid"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.invalid"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def test_the_hook_manifest_is_valid() -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit is not None, "pre-commit is a test dependency"
    done = subprocess.run(
        [pre_commit, "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_pre_commit_refuses_a_planted_token_and_passes_when_clean(tmp_path: Path) -> None:
    """The manifest's hook, run by pre-commit itself in a throwaway repository.

    The hook's `language: python` would make pre-commit build a virtualenv of this package
    from the index; the test runs the same hook definition with the package already installed
    here (`language: system`, the entry resolved in this virtualenv), so it needs no network.
    """
    bin_dir = Path(sys.executable).parent
    pre_commit = shutil.which("pre-commit", path=str(bin_dir))
    assert pre_commit is not None
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    program, *rest = hook["entry"].split()
    local = {**hook, "language": "system", "entry": " ".join([str(bin_dir / program), *rest])}
    local.pop("minimum_pre_commit_version", None)
    repo = tmp_path / "partner"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [local]}]})
    )
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def run() -> subprocess.CompletedProcess[str]:
        _git(repo, "add", "-A")
        return subprocess.run(
            [pre_commit, "run", "--all-files"], cwd=repo, capture_output=True, text=True, env=env
        )

    (repo / "settings.py").write_text(f'GITHUB_TOKEN = "{TOKEN}"\n')
    failed = run()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "github-token" in failed.stdout and TOKEN not in failed.stdout
    (repo / "settings.py").write_text('GITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n')
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
