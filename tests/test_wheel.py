"""The wheel carries the grammar, the PCR library and the reference data: an engine installed
outside the repository finds its own library."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    return next(out.glob("zuji-*.whl"))


def test_wheel_holds_the_library(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "zuji/_library/grammar/pcr.lark",
        "zuji/_library/pcr/cement/cement.pcr",
        "zuji/_library/pcr/common/electricity.pcr",
        "zuji/_library/standards/factors/cn_grid.yaml",
        "zuji/_library/standards/gwp/AR6.yaml",
        "zuji/_library/standards/schemas/result.schema.json",
        "zuji/_library/standards/schemas/cbam-mapping.schema.json",
        "zuji/_library/pcr/cement/cbam.yaml",
        # The message catalogue's source; Babel compiles it at first use.
        "zuji/locale/zh_CN/LC_MESSAGES/zuji.po",
    ):
        assert needed in names


@pytest.mark.slow
def test_installed_wheel_checks_and_runs_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    # Without PYTHONPATH, which would put a checkout's engine before the installed one.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        timeout=900,
        env=env,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    zuji = env_dir / "bin" / "zuji"
    checked = subprocess.run(
        [str(zuji), "check"], cwd=work, env=env, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 errors" in checked.stdout
    chinese = subprocess.run(
        [str(zuji), "check", "--lang", "zh"], cwd=work, env=env, capture_output=True, text=True
    )
    assert "0 个错误" in chinese.stdout, chinese.stdout + chinese.stderr
    case = ROOT / "pcr" / "cement" / "cases" / "typical_plant.yaml"
    ran = subprocess.run(
        [
            str(python),
            "-c",
            "import zuji, sys; r = zuji.load('cement')"
            f".evaluate({str(case)!r}); print(round(r.total, 2)); "
            "print(zuji.__file__)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    total, location = ran.stdout.split()
    assert total == "675.82" and str(env_dir) in location
