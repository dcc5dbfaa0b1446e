-- wrk script: prints one machine-readable line at the end of a run (latencies in microseconds).
-- BENCH requests=N duration_us=D bytes=B p50_us=.. p99_us=.. errors_connect=.. errors_read=..
--       errors_write=.. errors_status=.. errors_timeout=..
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d bytes=%d p50_us=%d p99_us=%d errors_connect=%d errors_read=%d errors_write=%d errors_status=%d errors_timeout=%d\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
