"""The copy button's reading of a transcript (copy-commands.js) is docsexec's (transcript.py).

The script runs under Node with a stand-in `window` and `document`; for every tagged block of
the site, and for here-document samples, what it copies must be what docsexec types. No
browser and no engine needed (tests/browser/ clicks the real buttons on the built site).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from docsexec.page import Page
from docsexec.scan.fences import scan_file, scan_page

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "docs" / "assets" / "javascripts" / "copy-commands.js"
NODE = shutil.which("node") or shutil.which("nodejs")
RUNNER = """
global.window = {};
global.document = {readyState: "loading", addEventListener: function () {}};
require(process.argv[1]);
const cases = JSON.parse(require("fs").readFileSync(0, "utf-8"));
process.stdout.write(JSON.stringify(cases.map(c => window.docsexecCommandsOf(c.text, c.prompt, c.continued))));
"""

SAMPLES = """# Samples

```console {#write .docsexec}
$ cat > compose.yaml <<'EOF'
services:
  web:
    image: busybox
$ not a command, a line of the file
EOF
$ cat compose.yaml | \\
    head -n 1
services:
```

```console {#two .docsexec}
$ cat <<-A - <<"B"
\tone
\tA
two
B
one
two
$ python3 -c "print(64 << 20)"
67108864
```
"""


def copied(cases: list[dict]) -> list[str]:
    if NODE is None:
        pytest.fail("no node: `apt-get install -y nodejs` (the copy button's script is tested under Node)")
    done = subprocess.run(
        [NODE, "-e", RUNNER, str(SCRIPT)], input=json.dumps(cases), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def typed(block) -> str:
    """What docsexec types for a block: each command's text, then its inputs (a continued
    session has no command of its own, and control keys are pressed, not copied)."""
    lines: list[str] = []
    for command in block.commands:
        if not command.continued:
            lines.append(command.text)
        lines.extend(i.text for i in command.inputs if i.keys is None)
    return "\n".join(lines).rstrip()


def case(page: Page, block, prompts: dict[str, str | None]) -> dict:
    prompt = block.page_prompt if not block.options.continues else prompts.get(block.options.continues)
    prompts[block.id] = prompt
    return {"text": "\n".join(block.body) + "\n", "prompt": prompt, "continued": bool(block.options.continues)}


def test_here_documents_are_copied_with_their_bodies():
    page = Page.parse(Path("samples.md"), SAMPLES)
    blocks = scan_page(page)
    prompts: dict[str, str | None] = {}
    got = copied([case(page, b, prompts) for b in blocks])
    assert got == [typed(b) for b in blocks]
    assert got[0].splitlines()[4] == "$ not a command, a line of the file"
    assert got[1].endswith('python3 -c "print(64 << 20)"')


def test_every_tagged_block_of_the_site_copies_what_docsexec_types():
    cases, wanted = [], []
    for path in sorted((ROOT / "docs").rglob("*.md")):
        page, blocks = scan_file(path)
        prompts: dict[str, str | None] = {}
        for block in blocks:
            cases.append(case(page, block, prompts))
            wanted.append((f"{path.relative_to(ROOT)} [{block.id}]", typed(block)))
    assert len(cases) > 100
    mismatches = [where for (where, text), got in zip(wanted, copied(cases), strict=True) if got != text]
    assert not mismatches, mismatches[:10]
