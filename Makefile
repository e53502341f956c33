# Convenience targets; the README's two commands need none of these.
PY ?= .venv/bin/python

.PHONY: venv test lint dist dist-test sheet bench variants

venv:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]'

test: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports && .venv/bin/mypy

# PyInstaller comes with the dev extras; a fresh clone gets the venv first.
.venv/bin/pyinstaller:
	$(MAKE) venv

# One-folder bundle: dist/huebrush/huebrush (needs resources/weights/huebrush-default.safetensors).
dist: .venv/bin/pyinstaller
	.venv/bin/pyinstaller --noconfirm --clean build.spec

# Builds a bundle in a temporary folder and runs it (minutes): tests/packaging/test_bundle.py.
dist-test: .venv/bin/pyinstaller
	HUEBRUSH_BUILD_TESTS=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow tests/packaging

sheet:
	$(PY) -m training.sheet --val ../shared/data/val --bw ../shared/data/bw --out docs/contact_sheet.png

bench:
	.venv/bin/huebrush-bench quality --data ../shared/data/val --out docs/bench
	.venv/bin/huebrush-bench speed --out docs/bench

# Every research variant trained for MINUTES of wall-clock each, then benchmarked
# (runs/variants/var_*, docs/variants/, docs/variants.md).
MINUTES ?= 6
variants:
	$(PY) -m training.run_variants --data ../shared/data/train --val ../shared/data/val --minutes $(MINUTES)
