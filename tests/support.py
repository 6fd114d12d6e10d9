"""What tests share besides fixtures: the project's paths and a way to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
FRAMEWORK_SEED = SEEDS / "000_78da1468efeafd76.txt"
OVERVIEW_SEED = SEEDS / "004_151618e0f121074d.txt"


def run_cli(
    *args: str, store: Path, cwd: Path = ROOT, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``competency-kg`` console script as a user would."""
    exe = Path(sys.executable).with_name("competency-kg")
    env = dict(os.environ, COMPETENCY_KG_STORE=str(store))
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=300,
    )
