# Convenience targets; the README's two commands need none of these.
PY ?= .venv/bin/python

.PHONY: venv test lint dist sheet bench

venv:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]'

test: venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/lint-imports

dist: venv
	.venv/bin/pyinstaller --noconfirm --clean build.spec

sheet:
	$(PY) -m training.sheet --val ../shared/data/val --bw ../shared/data/bw --out docs/contact_sheet.png

bench:
	.venv/bin/huebrush-bench quality --data ../shared/data/val --out docs/bench
	.venv/bin/huebrush-bench speed --out docs/bench
