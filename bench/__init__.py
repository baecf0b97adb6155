"""gridgov's benchmarks: ``python -m bench`` (``make bench``). Each ``bench_*.py`` module measures gridgov's
code and a reference (raw SQL on the same connection, same data) in the same run and prints the ratio."""
