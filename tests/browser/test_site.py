"""The built site, as a reader's browser shows it.

Builds the site with `mkdocs build --strict` (or uses a site built by the caller, see
DOCSEXEC_SITE_DIR), serves it on 127.0.0.1 and drives Debian's Chromium with Playwright:

* the home page renders; the navigation reaches every page of mkdocs.yml's nav;
* Material's search finds "bridge";
* the copy button of every tagged block copies exactly the commands docsexec types
  (parsed from the Markdown source by docsexec's own scanner), untagged blocks copy as before;
* Mermaid diagrams render offline (from the vendored mermaid.min.js), and Mermaid is loaded,
  asynchronously, only on pages that have a diagram; a page without one weighs <= 600 KB;
* diagrams stay legible on a 390 px wide phone;
* no recorded output line is wider than 160 characters (unless the page says why), no
  transcript runs off the right edge, and output lines starting with `# ` are output: a
  reader who selects and copies them gets them whole;
* the footer's "Next" links lead from the home page through every page in nav order, and
  each page's own "Next" section points where the footer does;
* every page has an edit link, each tutorial page links to Docker's documentation, the home
  page credits the original; a search for `--network host` finds pages;
* the site built with Zensical (the successor of Material) shows the badge and renders the
  same blocks, and an edited block fails the Zensical build;
* no page logs a console error or throws, and nothing is fetched from anywhere but 127.0.0.1.

The checks that need every page loaded read the notes of one reader's walk through the site
(the `walk` fixture: home page, then the footer's "Next" link, page after page), made once
per session and shared by the xdist workers, instead of each loading every page again.

Screenshots go to test-artifacts/browser/. Needs: apt `chromium`, pip `playwright` (its own
browser downloads are never used: Chromium is Debian's, at /usr/bin/chromium).

Environment knobs, all optional:
  DOCSEXEC_SITE_DIR   a site already built from the same docs (skips the build)
  DOCSEXEC_DOCS_DIR   another docs folder (e.g. a copy with stub pages); mkdocs.yml is inherited
  DOCSEXEC_CHROMIUM   the Chromium binary (default /usr/bin/chromium)
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
DOCS = Path(os.environ.get("DOCSEXEC_DOCS_DIR") or REPO / "docs").resolve()
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("DOCSEXEC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SITE_NAME = "Docker networking, verified"
GITHUB_FACTS = '{"stargazers_count": 0, "forks_count": 0, "tag_name": "v0"}'
COPY_BUTTON = 'button.md-code__button[data-md-type="copy"], button.md-clipboard'
MERMAID_PRE = re.compile(r'<pre class="mermaid">')

# --------------------------------------------------------------------------- the site's pages


def nav_pages() -> list[str]:
    """The Markdown paths of mkdocs.yml's nav, in order."""
    from mkdocs.config import load_config

    config = load_config(str(REPO / "mkdocs.yml"))
    found: list[str] = []

    def walk(items) -> None:
        for item in items:
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                for value in item.values():
                    walk([value] if isinstance(value, str) else value)

    walk(config["nav"])
    return found


def url_of(md: str) -> str:
    """The site-relative URL MkDocs gives a page (use_directory_urls)."""
    if md == "index.md":
        return ""
    if md.endswith("/index.md"):
        return md[: -len("index.md")]
    return md[: -len(".md")] + "/"


TUTORIAL = [
    "modes/index.md",
    "modes/bridge.md",
    "modes/host.md",
    "modes/none.md",
    "modes/container.md",
    "user-defined-networks.md",
    "communication.md",
]
# Recorded output lines longer than 160 characters, each with the words of the page's note
# that says why.
WIDE_LINES_EXPLAINED = {
    ("user-defined-networks.md", "rm-in-use"): "about 170 characters",
    ("user-defined-networks.md", "rm-in-use-trixie"): "about 170 characters",  # its 26.1 variant
    ("reaching-the-host.md", "rh-ips-two"): "about 200 characters",  # dockerd --validate's refusal
    ("nftables.md", "nft-fwd-off"): "about 185 characters",  # the forwarding check's refusal
}
MAX_OUTPUT_WIDTH = 160
MAX_PAGE_BYTES_WITHOUT_DIAGRAM = 600_000
SEARCH_INDEX = "/search/search_index.json"
MAX_SEARCH_INDEX_BYTES = 1_000_000  # 0.91 MB for 24 pages in two languages, in UTF-8, transcripts excluded
PHONE = {"width": 390, "height": 844}
MIN_LEGIBLE_FONT_PX = 9.0


def slug(md: str) -> str:
    return md[: -len(".md")].replace("/", "-")


def recorded_outputs(docs: Path, md: str) -> dict[str, list[str]]:
    """Per tagged block id: its recorded output lines (everything that is not typed)."""
    from docsexec.scan.fences import scan_file

    _, blocks = scan_file(docs / md)
    return {
        block.id: [line for command in block.commands for line in command.expected]
        + [line for command in block.commands for typed in command.inputs for line in typed.expected]
        for block in blocks
    }


def commands_to_copy(docs: Path, md: str) -> dict[str, str]:
    """Per tagged block id: what its copy button must yield, from the Markdown source.

    It is what docsexec types: each command's text (prompt removed, `\\` continuation lines
    kept) followed by the inputs typed at the interactive prompt, one per line.
    """
    from docsexec.scan.fences import scan_file

    _, blocks = scan_file(docs / md)
    wanted: dict[str, str] = {}
    for block in blocks:
        lines: list[str] = []
        for command in block.commands:
            lines.append(command.text)
            lines.extend(typed.text for typed in command.inputs)
        wanted[block.id] = "\n".join(lines).rstrip()
    return wanted


def setup_blocks(docs: Path, md: str) -> set[str]:
    """Ids of the page's set-up blocks (class `.setup`): collapsed, with no copy button."""
    from docsexec.scan.fences import scan_file

    _, blocks = scan_file(docs / md)
    return {block.id for block in blocks if block.options.setup}


# --------------------------------------------------------------------------- fixtures


def _made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """A folder made by `make` once per test session. Spread over xdist workers, the session's
    workers share it (it sits beside their own temporary folders): the first to ask makes it
    under a lock, the others wait and reuse it. A `make` that fails leaves no folder behind,
    so every worker that asks fails on its own, with its own message."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    folder = tmp_path_factory.getbasetemp().parent / name
    with open(f"{folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = Path(f"{folder}.done")
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            try:
                make(folder)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
            done.touch()
    return folder


@pytest.fixture(scope="session")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Markdown the site is built from: a snapshot of DOCS taken once, so a page edited
    while the tests run cannot make the source and the built HTML disagree."""
    if os.environ.get("DOCSEXEC_SITE_DIR"):
        return DOCS
    return _made_once(tmp_path_factory, "docs-snapshot", lambda folder: shutil.copytree(DOCS, folder / "docs")) / "docs"


def _build_site(docs: Path, out: Path) -> None:
    config = out / "mkdocs-inherit.yml"
    config.write_text(f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: {docs}\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(out / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    if result.returncode:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


@pytest.fixture(scope="session")
def site(docs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built from `docs` once per session (shared by the session's xdist workers)."""
    prebuilt = os.environ.get("DOCSEXEC_SITE_DIR")
    if prebuilt:
        path = Path(prebuilt)
        if not (path / "index.html").exists():
            pytest.fail(f"DOCSEXEC_SITE_DIR={prebuilt} holds no built site")
        return path
    return _made_once(tmp_path_factory, "built-site", functools.partial(_build_site, docs)) / "site"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


class _SiteServer(http.server.ThreadingHTTPServer):
    """The site over HTTP. A browser that drops a connection it no longer needs (a tab closed
    mid-download) is not an error of the site: only other exceptions are reported."""

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def base_url(site: Path):
    """The site served over HTTP on a free loopback port, for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = _SiteServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(base_url: str, tmp_path_factory: pytest.TempPathFactory):
    """Debian's Chromium under Playwright, with a fresh profile; only loopback is reachable."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: `.venv/bin/pip install playwright` (no `playwright install`)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium`")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []

    def only_loopback(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        elif host == "api.github.com" and urlsplit(route.request.url).path.startswith("/repos/"):
            # The theme's header shows the repository's stars and latest release (repo_url),
            # asked of GitHub's API by the reader's browser. The test answers for GitHub,
            # here, so nothing leaves the machine; it is not one of the site's own requests.
            route.fulfill(status=200, content_type="application/json", body=GITHUB_FACTS)
        else:
            blocked.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
            context.route("**/*", only_loopback)
            context.blocked = blocked  # type: ignore[attr-defined]
            yield context
        finally:
            context.close()


def watch(tab) -> list[str]:
    """The console errors and page errors (uncaught exceptions) of a tab, as they come."""
    errors: list[str] = []
    tab.on(
        "console",
        lambda message: errors.append(f"console: {message.text} ({tab.url})") if message.type == "error" else None,
    )
    tab.on("pageerror", lambda error: errors.append(f"page error: {error} ({tab.url})"))
    return errors


@pytest.fixture
def page(browser):
    """A fresh tab that fails the test on console errors, page errors or outside requests."""
    tab = browser.new_page()
    errors = watch(tab)
    before = len(browser.blocked)
    yield tab
    tab.close()
    outside = browser.blocked[before:]
    assert not outside, f"requests to hosts other than 127.0.0.1: {outside}"
    assert not errors, "\n".join(errors)


def open_page(page, base_url: str, md: str):
    response = page.goto(base_url + url_of(md), wait_until="load")
    assert response is not None and response.status == 200, f"{md}: HTTP {response and response.status}"
    return response


# What the walk notes on every page, once it has settled.
PAGE_FACTS = """() => {
  const next = Array.from(document.querySelectorAll('article h2')).find(h => h.textContent.trim().startsWith('Next'));
  let ownNext = null;
  for (let n = next && next.nextElementSibling; n && n.tagName !== 'H2' && !ownNext; n = n.nextElementSibling) {
    const a = n.querySelector('a[href]');
    if (a) ownNext = a.href;
  }
  const footer = document.querySelector('a.md-footer__link--next');
  const article = document.querySelector('article');
  return {
    h1: (document.querySelector('article h1') || {innerText: ''}).innerText.trim(),
    own_next: ownNext,
    footer_next: footer ? footer.href : null,
    overflowing: Array.from(document.querySelectorAll('.language-console pre > code'))
      .filter(e => e.scrollWidth > e.clientWidth + 1)
      .map(e => e.closest('[id]')?.id || e.textContent.slice(0, 40)),
    edit_links: Array.from(document.querySelectorAll("a.md-content__button[href*='/edit/main/docs/']"))
      .map(a => a.getAttribute('href')),
    docker_docs_links: document.querySelectorAll("article a[href^='https://docs.docker.com/']").length,
    credit_links: document.querySelectorAll("article a[href$='#where-this-tutorial-comes-from']").length,
    names_the_original: !!article && article.innerText.includes('docker网络模式以及容器间的网络通信'),
    repository_links: document.querySelectorAll("a.md-source[href^='https://']").length,
    entries: performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
      .map(e => [e.name, e.decodedBodySize || 0]),
  };
}"""


def _walk(browser, base_url: str) -> list[dict]:
    """A reader's walk: the home page, then the footer's "Next" link, page after page, until
    there is none. On each page, once it has settled: what PAGE_FACTS notes, the console and
    page errors, the requests it made and those to other hosts (blocked), and a screenshot.
    The URLs of pages are kept relative to the site, so that every xdist worker (each serving
    the site on a port of its own) can read them."""

    def relative(url: str | None) -> str | None:
        return url[len(base_url) :] if url and url.startswith(base_url) else url

    tab = browser.new_page()
    errors = watch(tab)
    fetched: list[str] = []
    tab.on("request", lambda request: fetched.append(request.url))
    visits: list[dict] = []
    try:
        before = len(browser.blocked)
        response = tab.goto(base_url, wait_until="load")
        while True:
            tab.wait_for_load_state("networkidle")
            tab.wait_for_timeout(300)
            facts = tab.evaluate(PAGE_FACTS)
            facts.update(
                url=relative(tab.url),
                status=response.status if response else None,
                errors=list(errors),
                outside=browser.blocked[before:],
                fetched=list(fetched),
                own_next=relative(facts["own_next"]),
                footer_next=relative(facts["footer_next"]),
            )
            visits.append(facts)
            name = facts["url"].strip("/").replace("/", "-") or "index"
            tab.screenshot(path=str(ARTIFACTS / f"page-{name}.png"))  # the top of it: a full page costs seconds
            if facts["footer_next"] is None or len(visits) > len(nav_pages()):
                return visits
            errors.clear()
            fetched.clear()
            before = len(browser.blocked)
            with tab.expect_navigation(wait_until="load") as navigation:
                tab.locator("a.md-footer__link--next").first.click()
            response = navigation.value
    finally:
        tab.close()


@pytest.fixture(scope="session")
def walk(browser, base_url: str, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The reader's walk through every page (_walk), made once per session: the tests that
    need every page loaded read its notes instead of loading every page again each."""
    folder = _made_once(
        tmp_path_factory,
        "reader-walk",
        lambda folder: (folder / "walk.json").write_text(json.dumps(_walk(browser, base_url)), encoding="utf-8"),
    )
    return json.loads((folder / "walk.json").read_text(encoding="utf-8"))


def walked(walk: list[dict]) -> list[tuple[str, dict]]:
    """(page, its notes) for the nav's pages, in order; the walk must have reached each one."""
    urls = [visit["url"] for visit in walk]
    assert urls == [url_of(md) for md in nav_pages()], f"the footer's Next links led through {urls}"
    return list(zip(nav_pages(), walk, strict=True))


# --------------------------------------------------------------------------- tests


def test_home_page_renders(page, base_url: str) -> None:
    open_page(page, base_url, "index.md")
    assert SITE_NAME in page.title()
    assert page.locator("article h1").first.inner_text().strip().startswith(SITE_NAME)
    assert page.locator(".md-header__topic").first.inner_text().strip() == SITE_NAME
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


def test_navigation_reaches_every_page(page, base_url: str) -> None:
    expected = [base_url + url_of(md) for md in nav_pages()]
    assert len(expected) == len(set(expected)) and len(expected) >= 10
    open_page(page, base_url, "index.md")
    links = page.eval_on_selector_all(".md-nav--primary a.md-nav__link[href]", "as => as.map(a => a.href)")
    missing = [url for url in expected if url not in links]
    assert not missing, f"not in the navigation: {missing}"
    for md, url in zip(nav_pages(), expected, strict=True):
        link = page.locator(".md-nav--primary a.md-nav__link[href]")
        index = page.eval_on_selector_all(
            ".md-nav--primary a.md-nav__link[href]", "(as, url) => as.findIndex(a => a.href === url)", url
        )
        assert index >= 0, f"{md}: no navigation link on {page.url}"
        with page.expect_navigation(wait_until="load") as navigation:
            link.nth(index).click()
        response = navigation.value
        assert response is not None and response.status == 200, f"{md}: HTTP {response and response.status}"
        assert page.url == url
        heading = page.locator("article h1").first
        assert heading.is_visible() and heading.inner_text().strip(), f"{md}: no h1"


def search(page, url: str, query: str) -> list[str]:
    """Type `query` into the search box of the page at `url`; the result links, once shown."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
    page.locator("input.md-search__input").click()
    page.keyboard.type(query, delay=40)
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15_000)
    return page.eval_on_selector_all(".md-search-result__link", "as => as.map(a => a.href)")


def test_search_finds_bridge(page, base_url: str) -> None:
    hrefs = search(page, base_url, "bridge")
    assert any("/modes/bridge/" in href for href in hrefs), hrefs
    page.screenshot(path=str(ARTIFACTS / "search-bridge.png"))


REVEAL = """(el) => {
  // open collapsed admonitions and select the content tab that holds the block
  for (let node = el; node; node = node.parentElement) {
    if (node.tagName === "DETAILS") node.open = true;
    if (node.classList && node.classList.contains("tabbed-block")) {
      const set = node.closest(".tabbed-set");
      const index = Array.from(node.parentElement.children).indexOf(node);
      const inputs = set.querySelectorAll(":scope > input");
      if (inputs[index]) inputs[index].click();
    }
  }
}"""


def click_copy(page, block) -> str:
    page.evaluate("navigator.clipboard.writeText('(nothing copied)')")
    block.evaluate(REVEAL)
    block.scroll_into_view_if_needed()
    block.hover()
    block.locator(COPY_BUTTON).first.click()
    page.wait_for_function("async () => (await navigator.clipboard.readText()) !== '(nothing copied)'", timeout=5_000)
    return page.evaluate("navigator.clipboard.readText()")


# Copy buttons clicked per page: every block's id is checked against the source, and the
# copy of a sample of blocks (the first ones, and every per-engine variant among them),
# which keeps a site of several hundred blocks within the suite's time.
COPIES_PER_PAGE = 6


def test_copy_buttons_copy_only_the_commands(page, base_url: str, docs: Path) -> None:
    checked_tagged = 0
    checked_untagged = 0
    for md in nav_pages():
        wanted = commands_to_copy(docs, md)
        open_page(page, base_url, md)
        rendered = page.eval_on_selector_all(".docsexec", "els => els.map(e => e.id)")
        assert sorted(rendered) == sorted(wanted), (
            f"{md}: tagged blocks in the HTML {rendered} != in the source {sorted(wanted)}"
        )
        setup = setup_blocks(docs, md)
        for ident, commands in [item for item in wanted.items() if item[0] not in setup][:COPIES_PER_PAGE]:
            block = page.locator(f'[id="{ident}"]')
            assert block.count() == 1, f"{md}: id {ident!r} is not unique in the HTML"
            copied = click_copy(page, block)
            assert copied == commands, f"{md} [{ident}]: copied {copied!r}, the commands are {commands!r}"
            checked_tagged += 1
            if checked_tagged == 1:
                page.screenshot(path=str(ARTIFACTS / "copy-tagged.png"))
        # an untagged block keeps Material's behaviour: it copies its whole text
        untagged = page.locator(".highlight:not(.docsexec)").filter(has=page.locator(COPY_BUTTON))
        if untagged.count():
            block = untagged.first
            text = block.locator("code").first.evaluate("el => el.innerText").rstrip()
            assert click_copy(page, block) == text, f"{md}: an untagged block did not copy its whole text"
            checked_untagged += 1
    assert checked_tagged > 0, "no tagged block on any page"
    assert checked_untagged > 0, "no untagged code block on any page"


def test_setup_blocks_are_collapsed_below_their_sentence_without_a_copy_button(page, base_url: str, docs: Path) -> None:
    checked = 0
    for md in nav_pages():
        setup = setup_blocks(docs, md)
        if not setup:
            continue
        open_page(page, base_url, md)
        for ident in sorted(setup):
            block = page.locator(f'[id="{ident}"]')
            assert block.count() == 1, f"{md}: id {ident!r} is not unique in the HTML"
            where = block.evaluate(
                """el => {
                    const details = el.closest("details.docsexec-setup");
                    const before = details && details.previousElementSibling;
                    return {
                        inDetails: !!details,
                        open: !!(details && details.open),
                        visible: el.checkVisibility(),
                        sentence: before && before.tagName === "P" ? before.innerText.trim() : "",
                        summary: details ? details.querySelector("summary").innerText.trim() : "",
                    };
                }"""
            )
            assert where["inDetails"] and not where["open"] and not where["visible"], f"{md} [{ident}]: {where}"
            assert where["summary"] == "Set-up for this site's verification", f"{md} [{ident}]: {where}"
            assert len(where["sentence"]) > 20, f"{md} [{ident}]: no sentence just above the collapsed block"
            page.locator(f'details.docsexec-setup:has([id="{ident}"]) > summary').click()
            block.hover()
            assert block.locator(COPY_BUTTON).count() == 0, f"{md} [{ident}]: a set-up block has a copy button"
            checked += 1
    assert checked > 0, "no set-up block on any page"


def _mermaid_svgs(page) -> list[int]:
    """For each rendered diagram host (div.mermaid), how many <svg> its closed shadow root holds.

    Material attaches diagrams in *closed* shadow roots, out of reach of selectors; the
    DevTools protocol's DOM.getDocument with pierce=true reaches them.
    """
    session = page.context.new_cdp_session(page)
    try:
        document = session.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
    finally:
        session.detach()

    def classes(node) -> list[str]:
        attributes = node.get("attributes", [])
        pairs = dict(zip(attributes[::2], attributes[1::2], strict=True))  # DOM.getDocument: name, value, name, ...
        return pairs.get("class", "").split()

    def count_svg(node) -> int:
        own = (
            1
            if node.get("nodeName", "").lower() == "svg" and node.get("childNodeCount", len(node.get("children", [])))
            else 0
        )
        return own + sum(count_svg(child) for child in node.get("children", []) + node.get("shadowRoots", []))

    hosts: list[int] = []

    def walk(node) -> None:
        if node.get("nodeName") == "DIV" and "mermaid" in classes(node):
            hosts.append(sum(count_svg(root) for root in node.get("shadowRoots", [])))
        for child in (
            node.get("children", [])
            + node.get("shadowRoots", [])
            + ([node["contentDocument"]] if "contentDocument" in node else [])
        ):
            walk(child)

    walk(document)
    return hosts


def test_mermaid_diagrams_render_offline(page, base_url: str, site: Path) -> None:
    # The diagrams as MkDocs wrote them (a mermaid fence shown as an example inside a
    # four-backtick fence is text, not a diagram): one <pre class="mermaid"> each.
    pages = {
        md: len(MERMAID_PRE.findall((site / url_of(md) / "index.html").read_text(encoding="utf-8")))
        for md in nav_pages()
    }
    pages = {md: count for md, count in pages.items() if count}
    assert pages, "no page has a mermaid diagram (the home page should)"
    for md, count in pages.items():
        open_page(page, base_url, md)
        page.wait_for_function(
            "n => document.querySelectorAll('div.mermaid').length === n && !document.querySelector('pre.mermaid')",
            arg=count,
            timeout=20_000,
        )
        hosts = _mermaid_svgs(page)
        assert len(hosts) == count and all(n >= 1 for n in hosts), f"{md}: diagrams without an svg: {hosts}"
        box = page.locator("div.mermaid").first.bounding_box()
        assert box and box["height"] > 20 and box["width"] > 20, f"{md}: the diagram has no size: {box}"
        page.locator("div.mermaid").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"mermaid-{slug(md)}.png"))


PROBE_HOST = "docsexec-probe.invalid"  # a name that never resolves: the route blocks it before any lookup


def test_no_console_errors_on_any_page(browser, base_url: str, walk: list[dict]) -> None:
    """Every page loads and settles without a console error, a page error or an outside
    request. The watch is shown to work first: an error logged, an exception thrown and a
    request for another host, made on purpose, are each seen."""
    tab = browser.new_page()
    errors = watch(tab)
    try:
        open_page(tab, base_url, "index.md")
        before = len(browser.blocked)
        tab.evaluate(
            """host => {
            console.error("docsexec probe: logged");
            setTimeout(() => { throw new Error("docsexec probe: thrown"); });
            fetch(`http://${host}/probe`).catch(() => {});
        }""",
            PROBE_HOST,
        )
        tab.wait_for_timeout(500)
        assert any(e.startswith("console: docsexec probe: logged") for e in errors), errors
        assert any(e.startswith("page error: ") and "docsexec probe: thrown" in e for e in errors), errors
        assert [urlsplit(url).hostname for url in browser.blocked[before:]] == [PROBE_HOST], browser.blocked[before:]
    finally:
        tab.close()
    for md, visit in walked(walk):
        assert visit["status"] == 200, f"{md}: HTTP {visit['status']}"
        assert visit["h1"], f"{md}: the page has no heading"
        assert visit["errors"] == [], f"{md}: " + "\n".join(visit["errors"])
        assert visit["outside"] == [], f"{md}: requests to hosts other than 127.0.0.1: {visit['outside']}"


# --------------------------------------------------------------------------- readable outputs


def test_no_recorded_output_line_is_wider_than_160_characters(docs: Path) -> None:
    """Wide one-line JSON was 2,700-7,200 px wide in a 690 px column: outputs are pretty-printed
    or selected with --format; a longer line needs a note on its page that says why."""
    too_wide = []
    for md in nav_pages():
        text = (docs / md).read_text(encoding="utf-8")
        for ident, lines in recorded_outputs(docs, md).items():
            widest = max((len(line) for line in lines), default=0)
            if widest <= MAX_OUTPUT_WIDTH:
                continue
            reason = WIDE_LINES_EXPLAINED.get((md, ident))
            if reason is None or reason not in text:
                too_wide.append(f"{md} [{ident}]: {widest} characters")
    assert not too_wide, too_wide


def test_no_transcript_runs_off_the_right_edge(page, base_url: str, walk: list[dict]) -> None:
    """Long lines (an error such as "... has active endpoints") wrap instead of being cut off."""
    for md, visit in walked(walk):
        assert not visit["overflowing"], f"{md}: transcripts wider than the column: {visit['overflowing']}"
    open_page(page, base_url, "user-defined-networks.md")
    page.locator('[id="rm-in-use"]').evaluate(REVEAL)  # its tab may not be the one a linked choice shows
    page.locator('[id="rm-in-use"]').scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "wrapped-error-line.png"))


SELECT_TEXT = """(el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  return selection.toString();
}"""


def test_output_lines_starting_with_hash_are_output_and_copy_whole(page, base_url: str, docs: Path) -> None:
    """resolv.conf's `# Generated by Docker Engine.` lines were highlighted as root prompts,
    and a reader's selection dropped their `# ` (prompts are not selectable)."""
    checked = 0
    for md in nav_pages():
        hash_lines = {
            ident: [line for line in lines if line.startswith("# ")]
            for ident, lines in recorded_outputs(docs, md).items()
        }
        hash_lines = {ident: lines for ident, lines in hash_lines.items() if lines}
        if not hash_lines:
            continue
        open_page(page, base_url, md)
        for ident, lines in hash_lines.items():
            code = page.locator(f'[id="{ident}"] pre > code')
            prompts = code.evaluate("el => Array.from(el.querySelectorAll('.gp')).map(s => s.textContent)")
            assert "# " not in prompts, f"{md} [{ident}]: an output line is highlighted as a root prompt"
            selected = code.evaluate(SELECT_TEXT)
            for line in lines:
                assert line in selected.split("\n"), f"{md} [{ident}]: selecting the output lost {line!r}"
                checked += 1
    assert checked >= 4, "no output line starting with '# ' was checked (the communication page has several)"


# --------------------------------------------------------------------------- weight and diagrams


def _diagram_count(site: Path, md: str) -> int:
    return len(MERMAID_PRE.findall((site / url_of(md) / "index.html").read_text(encoding="utf-8")))


def test_mermaid_is_loaded_only_where_there_is_a_diagram(walk: list[dict], site: Path) -> None:
    """The 3.57 MB mermaid.min.js was loaded, blocking, on every page."""
    with_diagram = without = 0
    for md, visit in walked(walk):
        html = (site / url_of(md) / "index.html").read_text(encoding="utf-8")
        assert "mermaid.min.js" not in html, f"{md}: the HTML itself loads mermaid.min.js (render-blocking)"
        loaded = any(url.endswith("/mermaid.min.js") for url in visit["fetched"] + [e[0] for e in visit["entries"]])
        # The search index is the site's, not the page's: Material fetches it after the page
        # has loaded, in the background, once per visit (the browser caches it), for the whole
        # site and both editions. Its own budget is below; the page's is everything else.
        index = sum(size for url, size in visit["entries"] if url.endswith(SEARCH_INDEX))
        weight = sum(size for url, size in visit["entries"] if not url.endswith(SEARCH_INDEX))
        assert index <= MAX_SEARCH_INDEX_BYTES, f"{md}: the search index is {index} bytes"
        if _diagram_count(site, md):
            with_diagram += 1
            assert loaded, f"{md} has a diagram but mermaid.min.js was not loaded"
        else:
            without += 1
            assert not loaded, f"{md} has no diagram but loaded mermaid.min.js"
            assert weight <= MAX_PAGE_BYTES_WITHOUT_DIAGRAM, f"{md}: {weight} bytes without a diagram"
    assert with_diagram and without, (with_diagram, without)


def _diagram_scales(page) -> list[dict]:
    """For each rendered diagram: the svg's width on screen, its drawn width and the scale."""
    session = page.context.new_cdp_session(page)
    try:
        document = session.send("DOM.getDocument", {"depth": -1, "pierce": True})["root"]
        found: list[dict] = []

        def walk(node) -> None:
            if node.get("nodeName", "").lower() == "svg":
                attributes = dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2], strict=True))
                view = attributes.get("viewBox", "").split()
                if len(view) == 4 and "mermaid" in attributes.get("id", "") + attributes.get(
                    "aria-roledescription", "flowchart"
                ):
                    box = session.send("DOM.getBoxModel", {"nodeId": node["nodeId"]})["model"]
                    found.append(
                        {
                            "id": attributes.get("id"),
                            "screen": box["width"],
                            "drawn": float(view[2]),
                            "scale": box["width"] / float(view[2]),
                        }
                    )
            for child in node.get("children", []) + node.get("shadowRoots", []):
                walk(child)

        walk(document)
        return found
    finally:
        session.detach()


def test_diagrams_are_legible_on_a_phone(browser, base_url: str, site: Path) -> None:
    """At 390 px the home page's diagram text was about 3 px high: diagrams are drawn
    top-down, and none may be shrunk so much that its 16 px labels fall below 9 px."""
    tab = browser.new_page()
    tab.set_viewport_size(PHONE)
    try:
        checked = 0
        for md in nav_pages():
            count = _diagram_count(site, md)
            if not count:
                continue
            open_page(tab, base_url, md)
            tab.wait_for_function(
                "n => document.querySelectorAll('div.mermaid').length === n", arg=count, timeout=20_000
            )
            scales = _diagram_scales(tab)
            assert len(scales) == count, f"{md}: {len(scales)} svgs for {count} diagrams"
            for diagram in scales:
                font = 16 * diagram["scale"]
                assert font >= MIN_LEGIBLE_FONT_PX, (
                    f"{md}: a diagram's labels are {font:.1f} px high at 390 px ({diagram})"
                )
                checked += 1
            tab.locator("div.mermaid").first.scroll_into_view_if_needed()
            tab.screenshot(path=str(ARTIFACTS / f"phone-mermaid-{slug(md)}.png"))
        assert checked
    finally:
        tab.close()


# --------------------------------------------------------------------------- the reader's path


def test_next_links_lead_from_home_through_every_page(walk: list[dict]) -> None:
    for md, visit in walked(walk):  # the walk follows the footer's Next links from the home page
        if visit["own_next"] is not None:
            assert visit["own_next"] == visit["footer_next"], (
                f"{md}: the page's Next section points to {visit['own_next']}, the footer to {visit['footer_next']}"
            )
    assert walk[-1]["footer_next"] is None


def test_links_to_the_repository_docker_docs_and_the_original(walk: list[dict]) -> None:
    for md, visit in walked(walk):
        edit = visit["edit_links"]
        assert len(edit) == 1 and edit[0].endswith(md), f"{md}: no edit link ({edit})"
        if md in TUTORIAL:
            assert visit["docker_docs_links"] >= 1, f"{md}: no link to Docker's documentation"
            assert visit["credit_links"] >= 1, f"{md}: no credit to the original"
    home = walk[0]
    assert home["names_the_original"], "the home page does not name the original tutorial"
    assert home["repository_links"] >= 1, "no repository link in the header"


def test_search_finds_a_command_line_option(page, base_url: str) -> None:
    hrefs = search(page, base_url, "--network host")
    assert any("/modes/host/" in href for href in hrefs), hrefs
    assert page.locator("input.md-search__input").evaluate("el => el.matches(':focus')")
    page.screenshot(path=str(ARTIFACTS / "search-network-host.png"))


def test_picking_one_engine_selects_its_tab_in_every_set_of_the_page(page, base_url: str) -> None:
    """`addressing.md` has tabs of 26.1 alone and tabs it shares ("Engines 28.5 and 26.1")."""
    open_page(page, base_url, "addressing.md")
    labels = page.locator(".tabbed-labels > label", has_text="Engine 26.1")
    assert labels.count() >= 2, "the page should have several tabs of Engine 26.1"
    labels.first.click()
    chosen = page.evaluate(
        """() => Array.from(document.querySelectorAll(".tabbed-set")).map(set => {
            const labels = Array.from(set.querySelectorAll(".tabbed-labels > label"));
            const holding = labels.filter(l => /^Engines? /.test(l.textContent.trim()) && l.textContent.includes("26.1"));
            if (!holding.length) return null;
            return holding.some(l => document.getElementById(l.htmlFor).checked);
        }).filter(x => x !== null)"""
    )
    assert chosen and all(chosen), f"tab sets not showing Engine 26.1: {chosen.count(False)} of {len(chosen)}"
    page.screenshot(path=str(ARTIFACTS / "engine-tabs-26.png"))


def test_the_badge_links_to_the_verification_page(page, base_url: str) -> None:
    open_page(page, base_url, "modes/bridge.md")
    badge = page.locator("article a.docsexec-badge")
    assert badge.count() == 1 and badge.inner_text().startswith("Verified on Docker Engine ")
    with page.expect_navigation(wait_until="load"):
        badge.click()
    assert page.url == base_url + url_of("verification.md")


# --------------------------------------------------------------------------- the Chinese edition


def zh_url(md: str) -> str:
    return "zh/" + url_of(md)


def test_every_page_switches_to_its_chinese_twin_and_back(page, base_url: str, docs: Path) -> None:
    """The language selector of every nav page leads to the same page in the other edition,
    which exists (HTTP 200) and says it is Chinese; the Chinese page leads back."""
    twins = [md for md in nav_pages() if (docs / md.replace(".md", ".zh.md")).exists()]
    assert len(twins) >= 15, twins
    for md in twins:
        open_page(page, base_url, md)
        href = page.locator('a.md-select__link[hreflang="zh"]').first.evaluate("a => a.href")
        assert href == base_url + zh_url(md), f"{md}: the language selector leads to {href}"
        response = page.goto(href, wait_until="load")
        assert response is not None and response.status == 200, (
            f"{md}: its Chinese twin answers {response and response.status}"
        )
        assert page.locator("html").get_attribute("lang") == "zh", f"{md}: the twin is not marked Chinese"
        back = page.locator('a.md-select__link[hreflang="en"]').first.evaluate("a => a.href")
        assert back == base_url + url_of(md), f"zh/{md}: the selector leads back to {back}"
    page.screenshot(path=str(ARTIFACTS / "zh-last-page.png"), full_page=True)


def test_a_chinese_page_has_the_badge_and_copies_only_the_commands(page, base_url: str, docs: Path) -> None:
    md = "modes/bridge.md"
    wanted = commands_to_copy(docs, md)  # the twin's blocks are the English page's (twins.py)
    response = page.goto(base_url + zh_url(md), wait_until="load")
    assert response is not None and response.status == 200
    badge = page.locator("article .docsexec-badge")
    assert badge.count() == 1 and badge.inner_text().startswith("Verified on Docker Engine "), (
        "no badge on the Chinese page"
    )
    rendered = page.eval_on_selector_all(".docsexec", "els => els.map(e => e.id)")
    assert sorted(rendered) == sorted(wanted)
    setup = setup_blocks(docs, md)
    for ident, commands in [item for item in wanted.items() if item[0] not in setup][:COPIES_PER_PAGE]:
        assert click_copy(page, page.locator(f'[id="{ident}"]')) == commands, f"zh/{md} [{ident}]"
    assert page.locator("article h1").first.inner_text().strip() != ""


def test_search_finds_chinese_words_in_the_chinese_edition(page, base_url: str) -> None:
    hrefs = search(page, base_url + "zh/", "网桥")
    assert any("/zh/" in href for href in hrefs), hrefs
    page.screenshot(path=str(ARTIFACTS / "search-zh.png"))


# --------------------------------------------------------------------------- Zensical


def _zensical_config(tmp: Path, docs: Path) -> Path:
    """The site's own mkdocs.yml in a temporary project (Zensical wants docs_dir inside the
    project): tmp/docs is a copy of `docs` (unless it is already there), the site goes to tmp/site."""
    if docs != tmp / "docs":
        shutil.copytree(docs, tmp / "docs")
    text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    text = re.sub(r"^docs_dir: .*$", "docs_dir: docs", text, flags=re.M)
    config = tmp / "mkdocs.yml"
    config.write_text(text + "\nsite_dir: site\n", encoding="utf-8")
    return config


def _zensical(config: Path) -> subprocess.CompletedProcess[str]:
    zensical = shutil.which("zensical", path=str(Path(sys.executable).parent)) or "zensical"
    return subprocess.run(
        [zensical, "build", "--clean", "-f", str(config)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_zensical_builds_the_site_with_badge_and_blocks(docs: Path, browser, tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    done = _zensical(_zensical_config(tmp_path, docs))
    assert done.returncode == 0, done.stdout + done.stderr
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = _SiteServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tab = browser.new_page()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        for md in TUTORIAL:
            response = tab.goto(url + url_of(md), wait_until="load")
            assert response is not None and response.status == 200, md
            badge = tab.locator("article .docsexec-badge")
            assert badge.count() == 1 and badge.inner_text().startswith("Verified on Docker Engine "), f"{md}: no badge"
            rendered = tab.eval_on_selector_all(".docsexec", "els => els.map(e => e.id)")
            assert sorted(rendered) == sorted(commands_to_copy(docs, md)), f"{md}: tagged blocks differ"
        tab.goto(url + url_of("communication.md"), wait_until="load")
        prompts = tab.eval_on_selector_all(".docsexec .gp", "els => els.map(e => e.textContent)")
        assert "# " not in prompts
        tab.screenshot(path=str(ARTIFACTS / "zensical-communication.png"))
    finally:
        tab.close()
        server.shutdown()
        server.server_close()


def test_zensical_build_fails_on_an_edited_block(docs: Path, tmp_path: Path) -> None:
    edited = tmp_path / "docs"
    shutil.copytree(docs, edited)
    page = edited / "modes" / "bridge.md"
    text = page.read_text(encoding="utf-8")
    assert "172.17.0.1/16 brd 172.17.255.255 scope global docker0" in text
    page.write_text(
        text.replace(
            "172.17.0.1/16 brd 172.17.255.255 scope global docker0",
            "172.17.0.9/16 brd 172.17.255.255 scope global docker0",
            1,
        ),
        encoding="utf-8",
    )
    done = _zensical(_zensical_config(tmp_path, edited))
    assert done.returncode != 0, "zensical build accepted an edited block"
    assert re.search(
        r"modes/bridge\.md:\d+ \[[\w-]+\]: the block is not what its last verified run", done.stdout + done.stderr
    ), "the gate names the edited block"
