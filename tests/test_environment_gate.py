"""The one environment gate (engine/backends.py) and what happens to a page whose engine
does not start after it: no engine needed, the machine's answers are stood in for.

The plan looks each engine up once (pages/plan.py); the gate checks the machine once per
plan, before any page starts, with the engines the plan resolved, and remembers nothing: a
failed check is asked again (and fails again) rather than letting a later page through. A page that cannot run after the gate still
appears in the JSON and JUnit reports, with its error, and the run ends with exit code 3.
"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from docsexec import verify
from docsexec.engine import backends, installed
from docsexec.engine.installed import EngineInstall
from docsexec.engine.sandbox import environment as sandbox_environment
from docsexec.errors import EXIT_ENVIRONMENT, EnvironmentProblem
from docsexec.faces.cli import main
from docsexec.model import EngineMode
from docsexec.pages.plan import PlanOptions, build_plan, gate

ENGINE = EngineInstall(
    dockerd=Path("/nowhere/dockerd"),
    bin_dirs=(),
    version="28.5.2",
    source="debian-forky",
    client_dir=Path("/nowhere/client"),
)


@pytest.fixture
def machine(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Root, an installed engine and every tool, with a count of how often each is asked."""
    asked = {"find_engine": 0}

    def find_engine(source: str | None = None) -> EngineInstall | None:
        asked["find_engine"] += 1
        return ENGINE if source in (None, "debian-forky") else None

    monkeypatch.setattr(installed, "find_engine", find_engine)
    monkeypatch.setattr(sandbox_environment.os, "geteuid", lambda: 0)
    monkeypatch.setattr(sandbox_environment.shutil, "which", lambda tool: f"/usr/bin/{tool}")
    return asked


def test_the_plan_looks_the_engine_up_once_and_the_gate_uses_what_it_found(
    machine: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # outside any project: the one engine --engine-source names
    plan = build_plan([page], PlanOptions(engine_source="debian-forky"))
    assert [job.settings.install for job in plan.jobs] == [ENGINE]
    assert machine["find_engine"] == 1
    for _ in range(3):
        gate(plan)
    assert machine["find_engine"] == 1


def test_a_machine_that_cannot_run_pages_fails_the_gate_in_one_line(
    machine: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    forky, trixie = ("debian-forky", ENGINE), ("debian-trixie", installed.find_engine("debian-trixie"))
    with pytest.raises(EnvironmentProblem, match=r"no Docker engine installed for docsexec \(debian-trixie\)"):
        backends.environment_gate(EngineMode.SANDBOX, [], [forky, trixie])
    monkeypatch.setattr(
        sandbox_environment.shutil, "which", lambda tool: None if tool == "setpriv" else f"/usr/bin/{tool}"
    )
    with pytest.raises(EnvironmentProblem, match=r"`setpriv` is not on PATH"):
        backends.environment_gate(EngineMode.SANDBOX, [], [forky])
    monkeypatch.setattr(sandbox_environment.os, "geteuid", lambda: 1000)
    for _ in range(2):  # a refusal is not remembered: asked again, refused again
        with pytest.raises(EnvironmentProblem, match="needs root") as refused:
            backends.environment_gate(EngineMode.SANDBOX, [], [forky])
        assert refused.value.one_line() == str(refused.value)  # one line, nothing more


PAGE = """# A page

```console {#hello .docsexec}
$ echo hello
hello
```
"""


def test_a_page_whose_engine_does_not_start_is_in_both_reports_with_its_error(
    machine: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    message = "sandbox engine for page failed to start: dockerd exited 1"

    def no_engine(*args: object, **kwargs: object) -> None:
        raise EnvironmentProblem(message + "\n--- last lines of dockerd.log ---\nfailed to start daemon")

    monkeypatch.setattr(verify, "verify_page", no_engine)
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    code = main(
        [
            "check",
            str(page),
            "--engine-source",
            "debian-forky",
            "--no-cache",
            "-j",
            "1",
            "-q",
            "--report",
            str(report),
            "--junit",
            str(junit),
        ]
    )
    assert code == EXIT_ENVIRONMENT
    assert capsys.readouterr().err.strip() == f"docsexec: {message}"
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["ok"] is False
    [entry] = data["pages"]
    assert entry["file"] == str(page) and entry["error"] == message and entry["blocks"] == []
    assert entry["engine_source"] == "debian-forky"
    assert data["engines"] == [{"source": "debian-forky", "version": "", "ok": False}]
    [suite] = ElementTree.parse(junit).getroot()
    assert suite.get("name") == f"{page} [debian-forky]" and suite.get("errors") == "1" and suite.get("tests") == "0"
    [case] = suite.findall("testcase")
    error = case.find("error")
    assert case.get("name") == "(page)" and error is not None and error.get("message") == message


def test_the_gate_refuses_before_any_report_is_started(
    machine: dict[str, int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    monkeypatch.setattr(sandbox_environment.os, "geteuid", lambda: 1000)
    report = tmp_path / "report.json"
    code = main(["check", str(page), "--engine-source", "debian-forky", "--no-cache", "-q", "--report", str(report)])
    assert code == EXIT_ENVIRONMENT and "needs root" in capsys.readouterr().err
    assert not report.exists()  # nothing ran, so there is nothing to report
