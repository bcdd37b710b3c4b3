"""The course's performance benchmarks: run them from the repository folder as modules
(`python -m benchmarks.run_all`, as `make bench` does); see benchmarks/README.md."""
