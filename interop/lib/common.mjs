// Shared helpers for the interop scripts: argument parsing, a watchdog, JSON-line output.

/** Exit code used when the watchdog fires. */
export const WATCHDOG_EXIT_CODE = 3
/** Default lifetime of a script in seconds (override with --timeout N). */
export const DEFAULT_TIMEOUT_SECONDS = 120

/**
 * Parses argv into positional arguments and --flag value options (a flag followed by another
 * flag or by nothing is boolean true).
 */
export function parseArgs (argv = process.argv.slice(2)) {
  const positional = []
  const options = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a.startsWith('--')) {
      const key = a.slice(2)
      const next = argv[i + 1]
      if (next === undefined || next.startsWith('--')) {
        options[key] = true
      } else {
        options[key] = next
        i++
      }
    } else {
      positional.push(a)
    }
  }
  return { positional, options }
}

/** Reads a non-negative integer option, or the default; exits with code 2 on garbage. */
export function intOption (options, name, dflt) {
  const v = options[name]
  if (v === undefined) return dflt
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) {
    log(`invalid --${name}: ${v}`)
    process.exit(2)
  }
  return n
}

/**
 * Starts the exit watchdog: after `seconds` the process prints a JSON event and exits with code 3
 * whatever it is doing. The timer is unref'd so it never keeps a finished script alive.
 */
export function startWatchdog (seconds = DEFAULT_TIMEOUT_SECONDS) {
  const t = setTimeout(() => {
    emit({ event: 'watchdog', seconds })
    log(`watchdog: exiting after ${seconds} s`)
    process.exit(WATCHDOG_EXIT_CODE)
  }, seconds * 1000)
  t.unref()
  return t
}

/** Writes one JSON line to stdout. */
export function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

/** Writes a log line to stderr (stdout is reserved for JSON). */
export function log (...args) {
  process.stderr.write(`[${new Date().toISOString()}] ${args.join(' ')}\n`)
}

export function hexToBytes (hex) {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error('expected an even-length hex string')
  }
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

export function bytesToHex (bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Calls `fn` once stdin reaches its end (the parent closed it or died). */
export function onStdinEnd (fn) {
  process.stdin.on('end', fn)
  process.stdin.on('close', fn)
  process.stdin.resume()
}
