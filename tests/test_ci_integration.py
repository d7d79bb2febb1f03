"""CI integrations as a pipeline runs them: the GitHub Action's steps, the GitLab template's script, the
Jenkins and pre-commit examples of docs/ci.md, the pre-commit hooks through ``pre-commit try-repo``, and
the Containerfile (built only where a container builder works).

The action is run the way the runner runs a composite action: each ``run:`` step through
``bash --noprofile --norc -eo pipefail`` with the step's ``env:`` (``${{ inputs.* }}`` and
``${{ steps.*.outputs.* }}`` resolved) and the variables GitHub sets (``GITHUB_ACTION_PATH``,
``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``RUNNER_TEMP`` …); ``uses:`` steps are recorded with their
resolved ``with:``, not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from kikan_std.specs import BUILTIN

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "jutogai_atena_sample.csv"  # synthetic, with six planted defects
SAMPLE_CODES = {"CHR004", "CHR016", "CHR017", "FLD011", "FLD016", "KEY001"}
BIN = Path(sys.executable).parent  # the environment's kikan-std and python
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def example(name: str) -> str:
    """The code block after ``<!-- example: NAME -->`` in docs/ci.md."""
    m = re.search(rf"<!-- example: {re.escape(name)} -->\n```\w*\n(.*?)\n```", DOC, re.S)
    assert m, f"docs/ci.md has no example {name}"
    return m.group(1)


def ci_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INPUT_", "GITHUB_", "KIKAN_STD_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(CI="true", **extra)
    return env


@pytest.fixture(scope="module")
def clean_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean") / "atena.csv"
    subprocess.run([BIN / "kikan-std", "generate", "--spec", "jutogai_atena", "--rows", "30", "-o", str(out)],
                   check=True, capture_output=True)
    return out


# --- the GitHub Action -------------------------------------------------------------------------------

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class ActionRun:
    exit_code: int
    outputs: dict[str, str]
    summary: str
    log: str
    used: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def _value(expr: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> Any:
    """Evaluate the small part of GitHub's expression language action.yml uses."""
    def ref(m: re.Match[str]) -> str:
        parts = m.group(0).split(".")
        if parts[0] == "inputs":
            return repr(inputs[parts[1]])
        return repr(steps.get(parts[1], {}).get(parts[3], ""))

    py = re.sub(r"\b(?:inputs\.[\w-]+|steps\.[\w-]+\.outputs\.[\w-]+)", ref, expr)
    py = py.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
    return eval(py, {"__builtins__": {}}, {})


def _subst(text: str, inputs: dict[str, str], steps: dict[str, dict[str, str]]) -> str:
    return EXPR.sub(lambda m: str(_value(m.group(1), inputs, steps)), text)


def run_action(with_: dict[str, str], workspace: Path, tmp: Path) -> ActionRun:
    """Run action.yml's composite steps as the runner would, in ``workspace``."""
    spec = ACTION["inputs"]
    unknown = set(with_) - set(spec)
    assert not unknown, f"not inputs of the action: {unknown}"
    inputs = {k: str(with_.get(k, v.get("default", ""))) for k, v in spec.items()}
    missing = [k for k, v in spec.items() if v.get("required") and not inputs[k]]
    assert not missing, f"required inputs missing: {missing}"
    steps: dict[str, dict[str, str]] = {}
    summary = tmp / "step_summary.md"
    summary.write_text("", encoding="utf-8")
    run = ActionRun(0, {}, "", "")
    failed = False
    for i, step in enumerate(ACTION["runs"]["steps"]):
        cond = step.get("if", "success()")
        cond = cond.replace("success()", "True") if not failed else cond.replace("success()", "False")
        if not _value(EXPR.sub(lambda m: m.group(1), cond), inputs, steps):
            continue
        if "uses" in step:
            run.used.append((step["uses"], {k: _subst(str(v), inputs, steps) for k, v in step.get("with", {}).items()}))
            continue
        assert step["shell"] == "bash"
        out = tmp / f"output_{i}"
        out.write_text("", encoding="utf-8")
        script = tmp / f"step_{i}.sh"
        script.write_text(_subst(step["run"], inputs, steps), encoding="utf-8")
        env = ci_env(GITHUB_ACTIONS="true", GITHUB_ACTION_PATH=str(ROOT), GITHUB_WORKSPACE=str(workspace),
                     GITHUB_OUTPUT=str(out), GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(tmp),
                     RUNNER_OS="Linux")
        env.update({k: _subst(str(v), inputs, steps) for k, v in step.get("env", {}).items()})
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=env, capture_output=True, text=True, encoding="utf-8")
        run.log += proc.stdout + proc.stderr
        values = dict(line.split("=", 1) for line in out.read_text(encoding="utf-8").splitlines() if "=" in line)
        if "id" in step:
            steps[step["id"]] = values
        if proc.returncode != 0:
            failed, run.exit_code = True, proc.returncode
    run.outputs = {k: _subst(v["value"], inputs, steps) for k, v in ACTION["outputs"].items()}
    run.summary = summary.read_text(encoding="utf-8")
    return run


def test_action_on_a_failing_file_exits_1_with_sarif_summary_and_outputs(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "exports").mkdir(parents=True)
    shutil.copy(SAMPLE, ws / "exports" / "atena.csv")
    run = run_action({"paths": "exports/*.csv", "spec": "jutogai_atena", "install": "false",
                      "upload-sarif": "true"}, ws, tmp_path)
    assert run.exit_code == 1, run.log
    assert run.outputs["valid"] == "false" and run.outputs["passed"] == "false"
    assert run.outputs["errors"] == "6" and run.outputs["findings"] == "6" and run.outputs["exit-code"] == "1"
    report = json.loads((ws / run.outputs["report"]).read_text(encoding="utf-8"))
    assert report["valid"] is False and set(report["stats"]["findings_by_code"]) == SAMPLE_CODES
    sarif = json.loads((ws / run.outputs["sarif"]).read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == SAMPLE_CODES
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"exports/atena.csv"}
    assert (ws / "kikan-std-report" / "report.html").is_file()  # the default extra format
    assert "kikan-std: 不適合" in run.summary
    for code in SAMPLE_CODES:
        assert f"| `{code}` | 1 |" in run.summary
    assert "605337993159" not in run.summary + run.log  # the sample's first 個人番号 stays masked
    # SARIF goes to code scanning after the failing step (if: always()).
    assert run.used[-1] == ("github/codeql-action/upload-sarif@v3",
                            {"sarif_file": run.outputs["sarif"], "category": "kikan-std"})


def test_action_on_a_clean_file_exits_0(tmp_path: Path, clean_csv: Path) -> None:
    ws = tmp_path / "ws 宛名"  # a workspace path with a space and Japanese
    ws.mkdir()
    shutil.copy(clean_csv, ws / "住登外 宛名.csv")
    run = run_action({"paths": "住登外 宛名.csv", "spec": "jutogai_atena", "install": "false", "lang": "en"},
                     ws, tmp_path)
    assert run.exit_code == 0, run.log
    assert run.outputs["valid"] == "true" and run.outputs["passed"] == "true" and run.outputs["errors"] == "0"
    assert "kikan-std: conformant" in run.summary
    assert run.used == []  # no SARIF upload unless asked


def test_action_input_problem_is_exit_2_with_the_message_in_the_summary(tmp_path: Path) -> None:
    run = run_action({"paths": "missing.csv", "spec": "jutogai_atena", "install": "false"}, tmp_path, tmp_path)
    assert run.exit_code == 2
    assert run.outputs["valid"] == "false" and run.outputs["exit-code"] == "2"
    assert "入力または設定の誤り" in run.summary and "missing.csv" in run.summary


def test_action_passes_every_check_input_and_installs_from_its_own_source() -> None:
    steps = {s.get("id"): s for s in ACTION["runs"]["steps"]}
    check_env = steps["check"]["env"]
    for name in ACTION["inputs"]:
        if name not in ("install", "python-version", "package", "upload-sarif"):
            assert check_env["INPUT_" + name.upper().replace("-", "_")] == f"${{{{ inputs.{name} }}}}"
    assert 'pip install' in steps["install"]["run"] and "$GITHUB_ACTION_PATH" in steps["install"]["run"]
    assert steps["check"]["run"] == 'python "$GITHUB_ACTION_PATH/ci/github/run.py"'


def test_docs_github_workflow_runs_the_action_as_written(tmp_path: Path) -> None:
    workflow = yaml.safe_load(example("github-actions"))
    steps = workflow["jobs"]["conformance"]["steps"]
    ours = [s for s in steps if str(s.get("uses", "")).split("@")[0].endswith("/kikan-std")]
    assert len(ours) == 1 and ours[0]["id"] == "kikan"
    ws = tmp_path / "ws"
    (ws / "exports").mkdir(parents=True)
    shutil.copy(SAMPLE, ws / "exports" / "atena.csv")
    run = run_action({**ours[0]["with"], "install": "false"}, ws, tmp_path)
    assert run.exit_code == 1 and run.outputs["errors"] == "6"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert (ws / upload["with"]["path"] / "report.sarif").is_file()


# --- GitLab CI ----------------------------------------------------------------------------------------

GITLAB = yaml.safe_load((ROOT / "ci" / "gitlab" / "kikan-std.gitlab-ci.yml").read_text(encoding="utf-8"))


def run_gitlab(variables: dict[str, str], workdir: Path) -> subprocess.CompletedProcess[str]:
    """The template job's ``script`` as GitLab's shell executor runs it (one bash, -eo pipefail)."""
    job = GITLAB[".kikan-std"]
    assert set(variables) <= set(job["variables"]), "not a variable of the template"
    env = ci_env(GITLAB_CI="true", **{**job["variables"], **variables})
    script = "\n".join(job["script"])
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=workdir, env=env,
                          capture_output=True, text=True, encoding="utf-8")


def test_gitlab_template_fails_on_findings_and_leaves_junit_and_dotenv(tmp_path: Path, clean_csv: Path) -> None:
    doc = yaml.safe_load(example("gitlab-ci"))
    assert doc["include"][0]["remote"].endswith("/ci/gitlab/kikan-std.gitlab-ci.yml")
    assert doc["kikan-std"]["extends"] == ".kikan-std"
    (tmp_path / "exports").mkdir()
    shutil.copy(SAMPLE, tmp_path / "exports" / "atena.csv")
    proc = run_gitlab(doc["kikan-std"]["variables"], tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "KEY001" in proc.stdout  # the text report in the job log
    junit = (tmp_path / "kikan-std-report" / "report.junit.xml").read_text(encoding="utf-8")
    assert "KEY001" in junit and "failure" in junit
    artifacts = GITLAB[".kikan-std"]["artifacts"]
    assert artifacts["reports"]["junit"] == "kikan-std-report/report.junit.xml" and artifacts["when"] == "always"
    dotenv = (tmp_path / artifacts["reports"]["dotenv"]).read_text(encoding="utf-8").split()
    assert dotenv == ["KIKAN_STD_EXIT_CODE=1", "KIKAN_STD_VALID=false", "KIKAN_STD_ERRORS=6"]
    # A clean file: the job passes.
    shutil.copy(clean_csv, tmp_path / "exports" / "atena.csv")
    proc = run_gitlab(doc["kikan-std"]["variables"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "KIKAN_STD_VALID=true" in (tmp_path / "kikan-std.env").read_text(encoding="utf-8")
    assert GITLAB[".kikan-std"]["before_script"] == [
        'python -m pip install --quiet --disable-pip-version-check "$KIKAN_STD_PACKAGE"']


# --- Jenkins --------------------------------------------------------------------------------------------

def test_docs_jenkins_pipeline_commands_run_as_written(tmp_path: Path, clean_csv: Path) -> None:
    pipeline = example("jenkins")
    commands = re.findall(r"^\s*sh '([^']*)'$", pipeline, re.M)
    assert len(commands) == 2 and "pip install" in commands[0]
    check = commands[1]
    assert check.startswith(".kikan/bin/kikan-std check ")
    assert "testResults: 'kikan-std-report/report.junit.xml'" in pipeline
    (tmp_path / ".kikan" / "bin").mkdir(parents=True)  # stands for the venv the first sh step makes
    (tmp_path / ".kikan" / "bin" / "kikan-std").symlink_to(BIN / "kikan-std")
    (tmp_path / "exports").mkdir()
    shutil.copy(SAMPLE, tmp_path / "exports" / "atena.csv")
    proc = subprocess.run(["sh", "-c", check], cwd=tmp_path, env=ci_env(), capture_output=True, text=True)
    assert proc.returncode == 1  # Jenkins marks the stage failed; post/always still records the JUnit
    assert "KEY001" in (tmp_path / "kikan-std-report" / "report.junit.xml").read_text(encoding="utf-8")
    shutil.copy(clean_csv, tmp_path / "exports" / "atena.csv")
    assert subprocess.run(["sh", "-c", check], cwd=tmp_path, env=ci_env(), capture_output=True).returncode == 0


# --- pre-commit -----------------------------------------------------------------------------------------

HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))


def test_pre_commit_hooks_cover_every_builtin_spec_and_the_docs_example() -> None:
    ids = {h["id"]: h for h in HOOKS}
    for spec in BUILTIN:
        hook = ids["kikan-std-" + spec.replace("_", "-")]
        assert hook["entry"] == f"kikan-std check --no-progress --spec {spec}" and hook["language"] == "python"
    assert ids["kikan-std-check"]["entry"] == "kikan-std check --no-progress"
    config = yaml.safe_load(example("pre-commit"))
    for hook in config["repos"][0]["hooks"]:
        assert hook["id"] in ids


def _git(cwd: Path, *args: str) -> None:
    env = ci_env(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
                 GIT_COMMITTER_EMAIL="t@example.invalid")
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.mark.network
def test_pre_commit_try_repo_fails_a_bad_csv_with_our_finding(tmp_path: Path) -> None:
    """``pre-commit try-repo`` clones this repository, installs the hook's environment (pip, PyPI) and runs it."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of kikan-std (pre-commit clones the repository)")
    repo = tmp_path / "vendor repo"
    (repo / "exports").mkdir(parents=True)
    shutil.copy(SAMPLE, repo / "exports" / "atena.csv")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = ci_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")

    proc = subprocess.run([str(BIN / "pre-commit"), "try-repo", str(ROOT), "kikan-std-jutogai-atena", "--all-files"],
                          cwd=repo, env=env, capture_output=True, text=True, encoding="utf-8", timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "kikan-std check --spec jutogai_atena" in proc.stdout and "Failed" in proc.stdout
    assert "exports/atena.csv:22 レコード 21 宛名番号" in proc.stdout and "KEY001" in proc.stdout
    assert "605337993159" not in proc.stdout  # masked in the hook's output too
    # (A conformant file passing a hook: test_docs_pre_commit_config_runs_as_written.)


@pytest.mark.network
def test_docs_pre_commit_config_runs_as_written(tmp_path: Path) -> None:
    """The docs' .pre-commit-config.yaml, pointed at this checkout's HEAD instead of the published repository."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of kikan-std (pre-commit clones the repository)")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    config = yaml.safe_load(example("pre-commit"))
    config["repos"][0].update(repo=str(ROOT), rev=head.stdout.strip())
    repo = tmp_path / "repo"
    (repo / "exports" / "atena").mkdir(parents=True)
    (repo / "exports" / "jumin").mkdir(parents=True)
    shutil.copy(SAMPLE, repo / "exports" / "atena" / "atena.csv")
    subprocess.run([BIN / "kikan-std", "generate", "--spec", "jumin_kiroku", "--rows", "50", "--encoding", "cp932",
                    "-o", str(repo / "exports" / "jumin" / "jumin.csv")], check=True, capture_output=True)
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    env = ci_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never")
    proc = subprocess.run([str(BIN / "pre-commit"), "run", "--all-files"], cwd=repo, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    results = dict(re.findall(r"^(kikan-std check[^.]*?)\.+(Passed|Failed)$", proc.stdout, re.M))
    assert results == {"kikan-std check --spec jutogai_atena": "Failed", "kikan-std check": "Passed"}
    assert "exports/atena/atena.csv:22 レコード 21 宛名番号" in proc.stdout


# --- Containerfile --------------------------------------------------------------------------------------

CONTAINERFILE = (ROOT / "Containerfile").read_text(encoding="utf-8")


def test_containerfile_runs_the_cli_as_a_non_root_user() -> None:
    final = CONTAINERFILE.split("\nFROM ")[-1]  # the image users run
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users and users[-1] not in ("0", "root")
    assert re.search(r'^ENTRYPOINT \["kikan-std"\]$', final, re.M)
    assert "--no-index" in final  # the final image installs only the wheels built in the first stage


def _container_builder() -> list[str] | None:
    for tool, probe in (("podman", ["info"]), ("docker", ["info"]), ("buildah", ["info"])):
        exe = shutil.which(tool)
        if exe and subprocess.run([exe, *probe], capture_output=True, timeout=60).returncode == 0:
            return [exe, "bud"] if tool == "buildah" else [exe, "build"]
    return None


@pytest.mark.network
def test_containerfile_builds_and_checks_the_sample(tmp_path: Path) -> None:
    builder = _container_builder()
    if builder is None:
        pytest.skip("no usable container builder (podman, docker engine or buildah) on this machine")
    tag = "kikan-std-test:latest"
    subprocess.run([*builder, "-t", tag, "-f", str(ROOT / "Containerfile"), str(ROOT)], check=True, timeout=1800)
    runner = builder[0] if not builder[0].endswith("buildah") else shutil.which("podman")
    if runner is None:
        pytest.skip("built with buildah; no podman to run the image")
    proc = subprocess.run([runner, "run", "--rm", "-v", f"{SAMPLE.parent}:/data:ro", tag, "check",
                           "/data/jutogai_atena_sample.csv", "--spec", "jutogai_atena"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "KEY001" in proc.stdout
    who = subprocess.run([runner, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True)
    assert who.stdout.strip() == "10001"
