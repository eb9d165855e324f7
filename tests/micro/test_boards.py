"""Board data files and `ember boards`."""
import json
import subprocess
import sys

from ember import boards

MCU = ["mps2-an385", "mps2-an386", "mps2-an500", "mps3-an547", "arduino-nano-33-ble", "rpi-pico",
       "stm32f746-disco", "coral-dev-board-micro", "esp32-s3"]
LINUX = ["rpi-4", "rpi-5", "rpi-zero-2w", "coral-dev-board"]


def test_every_board_loads_with_its_facts():
    assert set(boards.names()) == set(MCU + LINUX)
    for n in MCU:
        b = boards.get(n)
        assert b.kind == "mcu" and b.ram_bytes > 0 and b.flash_bytes and b.clock_hz > 0
        assert b.float_abi in ("soft", "hard") and b.cpu
    for n in LINUX:
        assert boards.get(n).kind == "linux"
    assert boards.get("rpi-pico").ram_bytes == 264 * 1024 and boards.get("rpi-pico").flash_bytes == 2 << 20
    assert boards.get("arduino-nano-33-ble").ram_bytes == 256 * 1024
    emulated = [b.name for b in boards.all_boards() if b.emulated]
    assert sorted(emulated) == ["mps2-an385", "mps2-an386", "mps2-an500", "mps3-an547"]
    assert not boards.get("mps2-an385").has_fpu and boards.get("mps2-an386").has_fpu


def test_unknown_board_names_the_known_ones():
    try:
        boards.get("arduino-uno")
    except boards.BoardError as e:
        assert "rpi-pico" in str(e)
    else:
        raise AssertionError("no error")


def test_cli_table_and_json():
    r = subprocess.run([sys.executable, "-m", "ember", "boards"], capture_output=True, text=True)
    assert r.returncode == 0 and "mps3-an547" in r.stdout and "Cortex-M55" in r.stdout
    r = subprocess.run([sys.executable, "-m", "ember", "boards", "--json"], capture_output=True, text=True)
    data = json.loads(r.stdout)
    assert {d["name"] for d in data} == set(MCU + LINUX)
    an547 = next(d for d in data if d["name"] == "mps3-an547")
    assert an547["emulator"]["machine"] == "mps3-an547" and an547["emulated"]
