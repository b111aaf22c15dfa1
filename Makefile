# `make bench`: the benchmark suite (bench/run.py) through the project's virtualenv, which
# scripts/_venv.sh creates or updates first with the `bench` extra (procrastinate, the
# baseline). Rewrites docs/BENCHMARKS.md. Pass options with ARGS, e.g. `make bench ARGS=--quick`.
.PHONY: bench
bench:
	cd "$(CURDIR)" && bash -c 'source scripts/_venv.sh bench && python bench/run.py $(ARGS)'
