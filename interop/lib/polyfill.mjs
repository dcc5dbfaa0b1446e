// Imported FIRST by every script: libp2p 3 calls Promise.withResolvers, which Node 20 lacks.
if (typeof Promise.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers () {
      let resolve
      let reject
      const promise = new this((res, rej) => { resolve = res; reject = rej })
      return { promise, resolve, reject }
    }
  })
}

// A socket error that escapes a library's handlers (seen: `connect ECONNRESET` thrown from
// TCPConnectWrap while a dozen nodes dial each other on a loaded machine) must not end a test
// peer: it is a failed connection like any other, which libp2p retries or reports. Logged to
// stderr; any other uncaught error still ends the process with code 1.
const SOCKET_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'])
process.on('uncaughtException', (err) => {
  if (err != null && SOCKET_ERRORS.has(err.code)) {
    process.stderr.write(`ignored socket error: ${err.code} ${err.message}\n`)
    return
  }
  process.stderr.write(`${err?.stack ?? err}\n`)
  process.exit(1)
})
