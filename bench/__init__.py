"""`make bench`: latency, throughput and memory of the hook server against an echo floor.

`workloads` builds Metacontroller-shaped requests, `floor` is the echo server on the same stack,
`run` drives both with wrk and `report` turns the numbers into docs/benchmarks.md.
"""
