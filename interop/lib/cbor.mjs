// A minimal deterministic (DAG-CBOR ordered) CBOR encoder for IPNS record data maps:
// text-keyed maps whose values are byte strings, text strings or unsigned integers.
// Used only to build records the ipns package cannot make (extra keys in the signed data).

function head (major, n) {
  n = BigInt(n)
  if (n < 0n) throw new Error('negative length/integer not supported')
  const m = major << 5
  if (n < 24n) return [m | Number(n)]
  if (n < 0x100n) return [m | 24, Number(n)]
  if (n < 0x10000n) return [m | 25, Number(n >> 8n), Number(n & 0xffn)]
  if (n < 0x100000000n) return [m | 26, ...[24n, 16n, 8n, 0n].map(s => Number((n >> s) & 0xffn))]
  if (n < 0x10000000000000000n) {
    return [m | 27, ...[56n, 48n, 40n, 32n, 24n, 16n, 8n, 0n].map(s => Number((n >> s) & 0xffn))]
  }
  throw new Error('integer too large for CBOR')
}

function encodeValue (v) {
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v]
  if (typeof v === 'string') {
    const b = new TextEncoder().encode(v)
    return [...head(3, b.length), ...b]
  }
  if (typeof v === 'bigint' || typeof v === 'number') return head(0, v)
  throw new Error(`unsupported CBOR value type: ${typeof v}`)
}

/** DAG-CBOR map key order: shorter encoded key first, then bytewise. */
function compareKeys (a, b) {
  const ea = new TextEncoder().encode(a)
  const eb = new TextEncoder().encode(b)
  if (ea.length !== eb.length) return ea.length - eb.length
  for (let i = 0; i < ea.length; i++) {
    if (ea[i] !== eb[i]) return ea[i] - eb[i]
  }
  return 0
}

/** Encodes a plain object {key: Uint8Array|string|bigint|number} as a canonical CBOR map. */
export function encodeMap (obj) {
  const keys = Object.keys(obj).sort(compareKeys)
  const out = [...head(5, keys.length)]
  for (const k of keys) {
    out.push(...encodeValue(k), ...encodeValue(obj[k]))
  }
  return Uint8Array.from(out)
}
