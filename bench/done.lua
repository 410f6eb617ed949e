-- The done() of the benchmark's wrk scripts: one line "BENCH {json}" with the counts, the errors
-- and 999 latency quantiles in microseconds. Loaded with dofile (wrk runs from the repository root).
return function(summary, latency, requests)
  local quantiles = {}
  for i = 1, 999 do
    quantiles[i] = string.format("%d", latency:percentile(i / 10))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d, "max_us": %d, "quantiles_us": [%s]}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency.max, table.concat(quantiles, ", ")))
end
