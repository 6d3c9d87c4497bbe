"""The reader's journey (`check --journey`): pages in the nav's order, on one engine, in one shell.

The point of a journey run is to catch what a page-by-page check cannot: a page that leaves
state behind which changes what a later page shows, for a reader who follows them in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_docsexec
from docsexec.errors import BadInput
from docsexec.pages.journey import journey_pages, reading_order
from safety_support import own_sandboxes

CONFIG = """site_name: t
site_url: !ENV [SITE_URL, null]
markdown_extensions:
  - pymdownx.superfences:
      custom_fences:
        - name: mermaid
          format: !!python/name:pymdownx.superfences.fence_code_format
nav:
  - Home: index.md
  - Part:
      - second.md
      - First: first.md
  - External: https://docs.docker.com/
"""

# `first` leaves a container behind unless it cleans up; `second` names the same container.
FIRST = """# First

```console {#make .docsexec}
$ docker run -d --name leftover busybox sleep 300 >/dev/null && echo started
```
"""
CLEAN = """
```console {#clean .docsexec}
$ docker rm -f leftover
```
"""
SECOND = """# Second

```console {#again .docsexec}
$ docker run -d --name leftover busybox sleep 300 >/dev/null && echo started
$ docker rm -f leftover
```
"""


def site(tmp_path: Path, first: str = FIRST) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\nNo tagged blocks.\n", encoding="utf-8")
    (docs / "first.md").write_text(first, encoding="utf-8")
    (docs / "second.md").write_text(SECOND, encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(CONFIG, encoding="utf-8")
    return config


def test_reading_order_follows_the_nav_and_ignores_tags_and_links(tmp_path):
    config = site(tmp_path)
    docs = tmp_path / "docs"
    assert reading_order(config) == [docs / "index.md", docs / "second.md", docs / "first.md"]


def test_journey_pages_keeps_only_requested_pages_in_nav_order(tmp_path):
    config = site(tmp_path)
    docs = tmp_path / "docs"
    assert journey_pages([docs], config) == [docs / "index.md", docs / "second.md", docs / "first.md"]
    assert journey_pages([docs / "first.md"], config) == [docs / "first.md"]


def test_a_nav_entry_without_its_page_is_bad_input(tmp_path):
    config = site(tmp_path)
    (tmp_path / "docs" / "second.md").unlink()
    with pytest.raises(BadInput, match=r"does not exist: .*second\.md"):
        reading_order(config)


def test_a_config_without_nav_is_bad_input(tmp_path):
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\n", encoding="utf-8")
    done = run_docsexec("check", "--journey", "--config", str(config), str(tmp_path))
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.strip()
        == f"docsexec: {config}:1: no `nav:` in the site configuration: the journey needs the reading order"
    )


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_state_left_by_one_page_fails_the_next_page_only_in_the_journey(tmp_path):
    """Page by page both pages pass; read in order (first, then second), the container that
    `first` leaves behind makes `second`'s `docker run --name` fail, and only `second` fails."""
    config = site(tmp_path)
    docs = tmp_path / "docs"
    config.write_text(
        CONFIG.replace("      - second.md\n      - First: first.md\n", "      - First: first.md\n      - second.md\n")
    )
    for page in ("first.md", "second.md"):
        assert run_docsexec("update", str(docs / page)).returncode == 0
    assert run_docsexec("check", str(docs)).returncode == 0  # page by page: both pass
    with own_sandboxes() as made:
        done = run_docsexec("check", "--journey", "--config", str(config), str(docs))
    assert done.returncode == 1, done.stdout + done.stderr
    fence = (docs / "second.md").read_text().splitlines().index("```console {#again .docsexec}") + 1
    assert f"--- {docs / 'second.md'}:{fence} [again]" in done.stdout
    assert "is already in use" in done.stdout
    assert "first.md" not in done.stdout  # the page that left state behind itself passes
    assert made.left() == []


@pytest.mark.engine
@pytest.mark.usefixtures("engine_ready")
def test_pages_that_clean_up_pass_the_journey(tmp_path):
    config = site(tmp_path, first=FIRST + CLEAN)
    docs = tmp_path / "docs"
    config.write_text(
        CONFIG.replace("      - second.md\n      - First: first.md\n", "      - First: first.md\n      - second.md\n")
    )
    for page in ("first.md", "second.md"):
        assert run_docsexec("update", str(docs / page)).returncode == 0
    with own_sandboxes() as made:
        done = run_docsexec("check", "--journey", "--config", str(config), str(docs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "continuing on the journey's engine" in done.stderr
    assert made.left() == []
