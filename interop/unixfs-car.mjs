// Imports files and directories with ipfs-unixfs-importer (the js reference importer) and writes
// every block into one CAR v1 file, so that Java tests can read DAGs built by another
// implementation (UnixFsReaderJsInteropTest, IpfsGatewayEndToEndTest).
//
// usage: node unixfs-car.mjs --out FILE.car [--profile unixfs-v0-2015|unixfs-v1-2025]
//            [--shard-threshold BYTES] [--chunk BYTES] [--timeout SECONDS] PATH...
//
// Every PATH (a file or a directory, taken recursively) is imported under its base name inside one
// wrapping directory, which is the CAR's root. Prints one JSON line:
// {"event":"car","root":"<cid>","blocks":N,"entries":[{"path":"a/b","cid":"<cid>","size":N}...]}
import './lib/polyfill.mjs'
import { readdirSync, readFileSync, statSync, createWriteStream } from 'node:fs'
import { basename, join } from 'node:path'
import { CarWriter } from '@ipld/car'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { intOption, log, parseArgs, startWatchdog } from './lib/common.mjs'

const { positional, options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))
if (typeof options.out !== 'string' || positional.length === 0) {
  log('usage: unixfs-car.mjs --out FILE.car [--profile P] [--shard-threshold N] [--chunk N] PATH...')
  process.exit(2)
}

/** Import entries: files with their content, directories (also empty ones). */
function * entries (path, name) {
  const st = statSync(path)
  if (st.isDirectory()) {
    yield { path: name }
    for (const child of readdirSync(path).sort()) {
      yield * entries(join(path, child), name + '/' + child)
    }
  } else {
    yield { path: name, content: readFileSync(path) }
  }
}

/** A blockstore that keeps blocks in memory, in the order they were first written. */
const blocks = new Map()
const store = {
  async put (cid, val) {
    let bytes = val
    if (!(val instanceof Uint8Array)) {
      const parts = []
      for await (const p of val) parts.push(p)
      bytes = Buffer.concat(parts)
    }
    if (!blocks.has(cid.toString())) blocks.set(cid.toString(), { cid, bytes })
    return cid
  }
}

const importOptions = { wrapWithDirectory: true }
if (typeof options.profile === 'string') importOptions.profile = options.profile
if (options['shard-threshold'] !== undefined) {
  importOptions.shardSplitThresholdBytes = intOption(options, 'shard-threshold', 262144)
}
if (options.chunk !== undefined) importOptions.chunker = fixedSize({ chunkSize: intOption(options, 'chunk', 262144) })

const source = []
for (const p of positional) source.push(...entries(p, basename(p)))

const imported = []
for await (const entry of importer(source, store, importOptions)) {
  imported.push({ path: entry.path, cid: entry.cid.toString(), size: Number(entry.size) })
}
const root = imported[imported.length - 1]
const rootCid = [...blocks.values()].find(b => b.cid.toString() === root.cid).cid

const { writer, out } = CarWriter.create([rootCid])
const file = createWriteStream(options.out)
const piped = (async () => {
  for await (const chunk of out) {
    if (!file.write(chunk)) await new Promise(resolve => file.once('drain', resolve))
  }
  await new Promise((resolve, reject) => file.end(err => err ? reject(err) : resolve()))
})()
for (const { cid, bytes } of blocks.values()) await writer.put({ cid, bytes })
await writer.close()
await piped
// stdout is a pipe (asynchronous in Node): exit only once the line is out
process.stdout.write(JSON.stringify({ event: 'car', root: root.cid, blocks: blocks.size, entries: imported }) + '\n',
  () => process.exit(0))
