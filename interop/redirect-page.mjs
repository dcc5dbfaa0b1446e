// Runs the IPNS-Link redirect page (the record Value's identity-CID HTML) the way a browser on a
// plain IPFS gateway would, for the Java tests. One JSON request per stdin line, one JSON response
// per stdout line, until stdin closes:
//   {"op":"run","page":"<html>","href":"https://ipfs.io/ipns/k51.../a?b"}
//     -> {"ok":true,"location":"<where the page sends the browser>"} | {"ok":false,"error":".."}
// The page must be one <script>...</script> element (that is what ManifestRecords writes); it runs
// in a vm context whose only global is a `location` object.
import { createInterface } from 'node:readline'
import vm from 'node:vm'
import { emit, intOption, log, parseArgs, startWatchdog } from './lib/common.mjs'

const MAX_LINE_CHARS = 64 * 1024
const { options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))

function run (req) {
  const m = /^<script>([\s\S]*)<\/script>$/.exec(req.page)
  if (!m) throw new Error('page is not a single <script> element')
  let target = null
  const location = {
    href: req.href,
    replace (u) { target = String(u) },
    assign (u) { target = String(u) }
  }
  const sandbox = { location }
  vm.createContext(sandbox)
  vm.runInContext(m[1], sandbox, { timeout: 1000 })
  // `location = x` in a browser navigates; in the sandbox it rebinds the global
  if (target == null && sandbox.location !== location) target = String(sandbox.location)
  return { ok: true, location: target }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (line.trim() === '') continue
  try {
    if (line.length > MAX_LINE_CHARS) throw new Error('request too long')
    const req = JSON.parse(line)
    if (req?.op !== 'run') throw new Error(`unknown op: ${JSON.stringify(req?.op)}`)
    emit(run(req))
  } catch (err) {
    emit({ ok: false, error: err?.message ?? String(err) })
  }
}
log('redirect-page: stdin closed, exiting')
process.exit(0)
