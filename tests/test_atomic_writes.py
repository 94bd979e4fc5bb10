"""Files Zuji writes appear whole or not at all; `zuji docs` swaps its pages in at once."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from zuji.core.files import new_build_folder, swap_folder, write_atomic
from zuji.interfaces.docsite import generate

ROOT = Path(__file__).resolve().parent.parent


def test_write_atomic_replaces_the_file_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "out" / "result.json"
    write_atomic(target, "first\n")
    write_atomic(target, b"second\n")
    assert target.read_bytes() == b"second\n"
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_a_private_file_is_private_from_its_creation(tmp_path: Path) -> None:
    key = write_atomic(tmp_path / "k", b"secret", mode=0o600)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]  # not bytes: fails mid-write
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_a_folder_is_swapped_in_at_once(tmp_path: Path) -> None:
    target = tmp_path / "pcr"
    target.mkdir()  # as an older Zuji left it: a plain folder
    (target / "a.md").write_text("old", encoding="utf-8")
    for text in ("one", "two"):
        build = new_build_folder(target)
        (build / "a.md").write_text(text, encoding="utf-8")
        swap_folder(build, target)
        assert target.is_symlink() and (target / "a.md").read_text(encoding="utf-8") == text
    # the previous builds are gone: only the link and the build it points at remain
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["pcr", os.readlink(target)])


def _site(tmp_path: Path) -> Path:
    library = tmp_path / "pcr"
    shutil.copytree(ROOT / "pcr" / "common", library / "common")
    shutil.copytree(ROOT / "pcr" / "cement", library / "cement")
    (tmp_path / "docs").mkdir()
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: t\nnav:\n  - Rules: pcr/index.md\n", encoding="utf-8")
    return config


def test_docs_pages_never_go_missing_while_they_are_rebuilt(tmp_path: Path) -> None:
    config = _site(tmp_path)
    generate(config, tmp_path / "pcr")
    index = tmp_path / "docs" / "pcr" / "index.md"
    first = index.read_text(encoding="utf-8")
    missing: list[str] = []
    done = threading.Event()

    def read_all_the_time() -> None:
        while not done.is_set():
            try:
                if index.read_text(encoding="utf-8") != first:
                    missing.append("changed")
            except OSError as exc:
                missing.append(str(exc))

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        for _ in range(3):
            generate(config, tmp_path / "pcr")
    finally:
        done.set()
        reader.join()
    assert missing == []
    hidden = [p.name for p in (tmp_path / "docs").iterdir() if p.name.startswith(".pcr.")]
    assert len(hidden) == 1  # one build, the current one; the others were removed


def test_docs_refuse_to_replace_a_folder_they_did_not_write(tmp_path: Path) -> None:
    from zuji.core.errors import UsageError

    config = _site(tmp_path)
    (tmp_path / "docs" / "pcr").mkdir()
    (tmp_path / "docs" / "pcr" / "mine.md").write_text("keep", encoding="utf-8")
    with pytest.raises(UsageError):
        generate(config, tmp_path / "pcr")
    assert (tmp_path / "docs" / "pcr" / "mine.md").read_text(encoding="utf-8") == "keep"
    assert not [p for p in (tmp_path / "docs").iterdir() if p.name.startswith(".")]


def test_run_writes_its_result_file_atomically(tmp_path: Path) -> None:
    from cli_kit import zuji as zuji_cli

    case = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
    out = tmp_path / "result.json"
    args = ("run", "cement", "-i", str(case), "--format", "json")
    done = zuji_cli(*args, "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert out.read_text(encoding="utf-8") == zuji_cli(*args).stdout
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_every_file_the_engine_writes_goes_through_the_one_helper() -> None:
    """No module but core/files.py writes a file in place, renames or replaces one; a module
    that opens a file for writing (a stream a library fills) opens it under core.files' care."""
    import re

    in_place = re.compile(r"\.write_text\(|\.write_bytes\(|os\.(replace|rename)\(")
    opened = re.compile(r"\bopen\([^)]*['\"][wax]b?\+?['\"]|\.open\(['\"][wax]")
    engine = ROOT / "engine" / "zuji"
    found = []
    for path in engine.rglob("*.py"):
        if path.name == "files.py" and path.parent.name == "core":
            continue
        text = path.read_text(encoding="utf-8")
        careful = "from zuji.core.files import" in text
        for n, line in enumerate(text.splitlines(), 1):
            if in_place.search(line) or (opened.search(line) and not careful):
                found.append(f"{path.relative_to(engine)}:{n}")
    assert found == []
    assert in_place.search('target.write_text(text, encoding="utf-8")')  # the patterns match
    assert opened.search('self.sink = self.path.open("w", encoding="utf-8")')
