"""Benchmarks: quality under the SIGGRAPH17 protocol, speed, the research variants, where the
error lives, the picker's suggestions, training speed and a 100-megapixel export; `huebrush-bench`
(training.bench.cli) runs them."""
