"""docs/supported-ops.md is what tools/gen_supported_ops.py makes from the core's registry now."""
import pathlib
import subprocess
import sys

from ember import _ember

REPO = pathlib.Path(__file__).resolve().parents[2]


def test_committed_page_is_not_stale():
    r = subprocess.run([sys.executable, str(REPO / "tools" / "gen_supported_ops.py"), "--check"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, ("docs/supported-ops.md is stale: run python tools/gen_supported_ops.py\n"
                               + r.stdout[-3000:] + r.stderr)


def test_page_lists_every_registered_op():
    page = (REPO / "docs" / "supported-ops.md").read_text()
    builtin, custom = _ember.registry()
    for op in list(builtin) + list(custom):
        name = op if isinstance(op, str) else op[0]
        assert f"`{name}`" in page, name


def test_registry_entries_with_types_are_rendered():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import gen_supported_ops as g
    finally:
        sys.path.pop(0)
    assert g._entries(["B", ("A", ["float32", "int8"]), {"name": "C", "types": []}]) == [
        ("A", ["float32", "int8"]), ("B", None), ("C", None)]
