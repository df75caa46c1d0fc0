"""The local cluster (`make cluster`) and the processes it, the tests and the benchmarks run."""
