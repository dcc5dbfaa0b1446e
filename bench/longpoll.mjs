// Long-poll load: N concurrent GETs (one TCP connection each, all opened at once) to a URL whose
// origin answers after a delay; reports how many got a 200 and their latency.
//
//   node bench/longpoll.mjs --url http://127.0.0.1:P/poll?ms=5000 [--n 2000] [--timeout-ms 30000]
//     prints {"ok":N,"failed":N,"errors":{..},"p50_ms":..,"p99_ms":..,"max_ms":..,"wall_ms":..}
import http from 'node:http'

const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf('--' + name)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt
}
const url = opt('url', null)
const n = Number(opt('n', 2000))
const timeoutMs = Number(opt('timeout-ms', 30000))
if (url == null || !Number.isSafeInteger(n) || n <= 0) {
  process.stderr.write('usage: node longpoll.mjs --url URL [--n N] [--timeout-ms MS]\n')
  process.exit(2)
}
// Hard stop: every wait is bounded even if a request never settles.
setTimeout(() => { process.stderr.write('longpoll: watchdog\n'); process.exit(3) }, timeoutMs + 10_000).unref()

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
const errors = {}
const latencies = []
const start = performance.now()

function one () {
  return new Promise((resolve) => {
    const t0 = performance.now()
    let settled = false
    const finish = (err) => {
      if (settled) return
      settled = true
      if (err == null) latencies.push(performance.now() - t0)
      else errors[err] = (errors[err] ?? 0) + 1
      resolve()
    }
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume()
      res.on('end', () => finish(res.statusCode === 200 ? null : `status ${res.statusCode}`))
      res.on('error', (e) => finish(e.code ?? e.message))
    })
    req.on('timeout', () => { req.destroy(); finish('timeout') })
    req.on('error', (e) => finish(e.code ?? e.message))
  })
}

await Promise.all(Array.from({ length: n }, one))
latencies.sort((a, b) => a - b)
const pct = (p) => latencies.length === 0 ? null : Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p / 100))])
process.stdout.write(JSON.stringify({
  ok: latencies.length,
  failed: n - latencies.length,
  errors,
  p50_ms: pct(50),
  p99_ms: pct(99),
  max_ms: latencies.length === 0 ? null : Math.round(latencies[latencies.length - 1]),
  wall_ms: Math.round(performance.now() - start)
}) + '\n')
process.exit(0)
