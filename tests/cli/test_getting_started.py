"""docs/getting-started.md stays true: every command in its ```sh blocks is run, in order, by
the real console script, in a scratch folder holding the bundled example.

A command must exit 0, unless it ends with a comment `# exits 0 or 1: why`, which lists the
codes it may exit with. No command may print a traceback. ```text blocks (install steps, sample output) are not run.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "getting-started.md"
EXITS = re.compile(r"#\s*exits\s+([0-9 ,or]+?)\s*(?::|$)")


def sh_commands(text):
    """[(line number, command, allowed exit codes)] from the page's ```sh blocks."""
    out, in_sh, pending = [], False, ""
    for no, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("```"):
            in_sh = (not in_sh) and stripped == "```sh"
            continue
        if not in_sh or not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        cmd, pending = pending + stripped, ""
        m = EXITS.search(cmd)
        codes = {int(c) for c in re.findall(r"\d+", m.group(1))} if m else {0}
        out.append((no, cmd, codes))
    return out


def test_the_page_has_the_whole_loop():
    cmds = " ".join(c for _n, c, _codes in sh_commands(PAGE.read_text()))
    for step in ("ember convert", "ember inspect", "--quantize int8", "ember run", "ember bench",
                 "--vs litert", "--profile", "--plot", ".png", "ember boards", "ember micro run"):
        assert step in cmds, step


def test_sh_blocks_parse():
    page = "x\n```sh\nember a  # exits 0 or 1: soon\n# a comment\nember b \\\n  --c\n```\n```text\nnot run\n```\n"
    assert sh_commands(page) == [(3, "ember a  # exits 0 or 1: soon", {0, 1}), (6, "ember b --c", {0})]


def test_getting_started_commands_run(tmp_path):
    import importlib.util
    from conftest import need
    for mod in ("PIL", "matplotlib"):
        need(importlib.util.find_spec(mod) is not None,
             f"the page's image and --plot steps need {mod} (requirements-test.txt)")
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        need(shutil.which(tool) is not None, f"the page's micro steps need {tool} (make micro-deps)")
    (tmp_path / "examples").mkdir()
    for name in ("digits.keras", "digits_data.npz"):
        shutil.copy(REPO / "examples" / name, tmp_path / "examples")
    bindir = pathlib.Path(sys.executable).parent
    assert (bindir / "ember").exists(), "pip install should create the `ember` console script"
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("NO_COLOR", None)
    for no, cmd, codes in sh_commands(PAGE.read_text()):
        r = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=300, stdin=subprocess.DEVNULL)
        where = f"docs/getting-started.md:{no}: {cmd}\n{r.stdout}\n{r.stderr}"
        assert r.returncode in codes, where
        assert "Traceback" not in r.stderr, where
    for made in ("digits.tflite", "digits_int8.tflite", "report.html", "outputs.npz", "y.npy"):
        assert (tmp_path / made).exists(), made
    assert (tmp_path / "profile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
