"""`docsexec report merge`: one JSON (and JUnit) report from the reports of N shards.

CI runs `check --shard K/N` in N parallel jobs; this joins their JSON reports into the one
report a serial run would have written (pages in path order), and refuses what would make the
merged report lie: a missing or repeated shard, a page reported twice, reports of different
modes. The exit code is the one a check of all those pages gives: 0 ok, 1 something did not
pass, 2 the inputs cannot be merged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from ..errors import EXIT_DIVERGED, EXIT_OK, UsageError
from .report import JsonData, engines_json, write_json_data, write_junit_data


def load(path: Path) -> JsonData:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read a JSON report ({exc})") from None
    if not isinstance(data, dict) or data.get("tool") != "docsexec" or not isinstance(data.get("pages"), list):
        raise UsageError(f"{path}: not a docsexec JSON report")
    missing = _missing_field(data)
    if missing is not None:
        raise UsageError(f"{path}: not a complete docsexec JSON report (no {missing})")
    return data


# What merging and the JUnit writer read of a report, by kind: a report that lacks one is refused
# here, in one line naming it, rather than failing halfway through a merge.
Kinds = Mapping[str, type | tuple[type, ...]]
_REPORT_FIELDS: Kinds = {"mode": str, "finished": str, "ok": bool}
_PAGE_FIELDS: Kinds = {"file": str, "engine_version": str, "seconds": (int, float), "blocks": list}
_BLOCK_FIELDS: Kinds = {"id": str, "status": str, "seconds": (int, float), "problems": list}


def _missing_field(data: JsonData) -> str | None:
    """The first field (as `pages[2].blocks[0].status`) that is absent or of the wrong kind."""
    found = _first_missing(data, _REPORT_FIELDS, "")
    for index, page in enumerate(data["pages"]):
        where = f"pages[{index}]"
        found = found or _first_missing(page, _PAGE_FIELDS, where + ".")
        if found is None:
            for number, block in enumerate(page["blocks"]):
                found = found or _first_missing(block, _BLOCK_FIELDS, f"{where}.blocks[{number}].")
    return found


def _first_missing(item: object, fields: Kinds, prefix: str) -> str | None:
    if not isinstance(item, dict):
        return prefix.rstrip(".") or "object"
    for name, kind in fields.items():
        if not isinstance(item.get(name), kind) or (kind is not bool and isinstance(item.get(name), bool)):
            return prefix + name
    return None


def merge(reports: list[tuple[Path, JsonData]]) -> JsonData:
    """The merged report; UsageError naming the input at fault when they do not fit together."""
    if not reports:
        raise UsageError("report merge: give at least one JSON report")
    modes = {data["mode"] for _, data in reports}
    if len(modes) != 1:
        raise UsageError(f"report merge: reports of different modes ({', '.join(sorted(modes))})")
    _check_shards(reports)
    seen: dict[tuple[str, str], Path] = {}
    pages = []
    engine_order: list[str] = []
    for path, data in reports:
        for page in data["pages"]:
            key = (page["file"], page.get("engine_source", ""))
            if key in seen:
                raise UsageError(f"{path}: page {page['file']} ({key[1] or 'one engine'}) is also in {seen[key]}")
            seen[key] = path
            pages.append(page)
            if key[1] not in engine_order:
                engine_order.append(key[1])
    # as a single run orders them: page by page, each page's engines in the configured order
    pages.sort(key=lambda page: (Path(page["file"]), engine_order.index(page.get("engine_source", ""))))
    return {
        "tool": "docsexec",
        "mode": modes.pop(),
        "finished": max(data["finished"] for _, data in reports),
        "ok": all(data["ok"] for _, data in reports),
        "engines": engines_json(pages),
        "pages": pages,
        "unchecked": _unchecked(reports, pages),
        "merged_from": [str(path) for path, _ in reports],
    }


def _unchecked(reports: list[tuple[Path, JsonData]], pages: list[JsonData]) -> list[JsonData]:
    """The blocks no merged report checked: those a report left unchecked (a run on one
    engine leaves the others' tabs) that no other report's pages hold, each named once."""
    checked = {(page["file"], block["id"]) for page in pages for block in page["blocks"]}
    left: dict[tuple[str, str], JsonData] = {}
    for _, data in reports:
        for item in data.get("unchecked", []):
            key = (item["file"], item["id"])
            if key not in checked:
                left.setdefault(key, item)
    return sorted(left.values(), key=lambda item: (Path(item["file"]), item["line"]))


def _check_shards(reports: list[tuple[Path, JsonData]]) -> None:
    """Sharded reports must be exactly shards 1..N of one N."""
    shards = [(path, data.get("shard")) for path, data in reports]
    if all(shard is None for _, shard in shards):
        return
    unsharded = [str(path) for path, shard in shards if shard is None]
    if unsharded:
        raise UsageError(f"report merge: {unsharded[0]} is not a shard's report, the others are")
    names = [str(shard) for _, shard in shards]
    counts = {int(shard.split("/")[1]) for shard in names}
    if len(counts) != 1:
        raise UsageError("report merge: shards of different splits (" + ", ".join(sorted(set(names))) + ")")
    count = counts.pop()
    indexes = sorted(int(shard.split("/")[0]) for shard in names)
    missing = sorted(set(range(1, count + 1)) - set(indexes))
    if missing:
        raise UsageError(f"report merge: shard(s) {', '.join(f'{i}/{count}' for i in missing)} missing")
    if len(indexes) != len(set(indexes)):
        raise UsageError("report merge: a shard's report is given twice")


def merge_files(inputs: list[Path], out: Path | None, junit: Path | None) -> int:
    merged = merge([(path, load(path)) for path in inputs])
    if out is not None:
        write_json_data(out, merged)
    if junit is not None:
        write_junit_data(junit, merged)
    blocks = sum(len(page["blocks"]) for page in merged["pages"])
    left = f", {len(merged['unchecked'])} block(s) unchecked" if merged["unchecked"] else ""
    print(
        f"merged {len(inputs)} report(s): {len(merged['pages'])} page(s), {blocks} block(s){left}, {'ok' if merged['ok'] else 'NOT ok'}"
    )
    return EXIT_OK if merged["ok"] else EXIT_DIVERGED
