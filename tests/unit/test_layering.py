import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NO_QT = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):
            raise ImportError('Qt is blocked in this test: ' + name)
sys.meta_path.insert(0, Block())
import model, model.inference, model.cli, model.engines, model.levin
import training, training.loop, training.cli, training.export
import training.variants, model.colour.enhance, training.variants.koala, training.variants.pix2pix
import training.bench.variants, training.run_variants, training.rebalance, training.bench.cli
print('ok', any(m.startswith('PySide6') for m in sys.modules))
"""


def test_model_and_training_import_without_qt() -> None:
    res = subprocess.run([sys.executable, "-c", NO_QT], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok False"


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is a dev dependency"
    res = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "broken" not in res.stdout.lower() or "0 broken" in res.stdout.lower()
