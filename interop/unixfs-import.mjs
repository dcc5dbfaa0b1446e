// Imports files and directories with js ipfs-unixfs-importer under an IPIP-499 profile and prints
// the root CIDs, for the Java tests that compare our UnixFS importer with js:
//   node unixfs-import.mjs --profile unixfs-v1-2025|unixfs-v0-2015 [--chunk-size N] [--car OUT.car] PATH...
//     -> one line per PATH {"path":..,"root":"<cid>","size":<cumulative DAG size>}, then {"event":"done"}
// --chunk-size replaces the profile's chunk size (fixed-size chunker). With --car, every block of the LAST path's import is written to OUT.car (root: its CID).
// Directories are walked the way the Java importer walks them: names sorted by UTF-8 bytes, each
// directory given to the importer before its contents, symbolic links stored as UnixFS symlinks
// (never followed inside the tree), other special files skipped. Errors: {"error":".."}, exit 1.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import Path from 'node:path'
import { Readable } from 'node:stream'
import { CarWriter } from '@ipld/car'
import { importer } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { emit, log, parseArgs, startWatchdog, intOption } from './lib/common.mjs'

const { positional, options } = parseArgs()
startWatchdog(intOption(options, 'timeout', 120))

const PROFILES = ['unixfs-v1-2025', 'unixfs-v0-2015']

function byUtf8 (a, b) {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

async function * candidates (top) {
  const st = await fsp.stat(top)
  const base = Path.basename(Path.resolve(top))
  if (st.isFile()) {
    yield { path: base, content: fs.createReadStream(top) }
    return
  }
  if (!st.isDirectory()) throw new Error(`${top} is neither a file nor a directory`)
  yield * walk(top, base)
}

async function * walk (dir, rel) {
  yield { path: rel }
  const names = (await fsp.readdir(dir)).sort(byUtf8)
  for (const name of names) {
    const p = Path.join(dir, name)
    const r = `${rel}/${name}`
    const st = await fsp.lstat(p)
    if (st.isSymbolicLink()) {
      yield { path: r, link: await fsp.readlink(p) }
    } else if (st.isDirectory()) {
      yield * walk(p, r)
    } else if (st.isFile()) {
      yield { path: r, content: fs.createReadStream(p) }
    } else {
      log(`skipping ${p}`)
    }
  }
}

async function importOne (path, profile, blocks) {
  const store = {
    put: async (cid, bytes) => {
      if (blocks != null) blocks.set(cid.toString(), { cid, bytes })
      return cid
    }
  }
  let last = null
  const opts = { profile }
  const chunkSize = intOption(options, 'chunk-size', 0)
  if (chunkSize > 0) opts.chunker = fixedSize({ chunkSize })
  for await (const entry of importer(candidates(path), store, opts)) {
    last = entry
  }
  if (last == null) throw new Error('nothing imported')
  return last
}

async function writeCar (file, root, blocks) {
  const { writer, out } = CarWriter.create([root])
  const done = new Promise((resolve, reject) => {
    const ws = fs.createWriteStream(file)
    Readable.from(out).pipe(ws).on('finish', resolve).on('error', reject)
  })
  for (const { cid, bytes } of blocks.values()) {
    await writer.put({ cid, bytes })
  }
  await writer.close()
  await done
}

try {
  const profile = options.profile ?? 'unixfs-v1-2025'
  if (!PROFILES.includes(profile)) throw new Error(`unknown profile ${profile}`)
  if (positional.length === 0) throw new Error('no paths given')
  for (let i = 0; i < positional.length; i++) {
    const car = typeof options.car === 'string' && i === positional.length - 1 ? options.car : null
    const blocks = car != null ? new Map() : null
    const r = await importOne(positional[i], profile, blocks)
    if (car != null) await writeCar(car, r.cid, blocks)
    emit({ path: positional[i], root: r.cid.toString(), size: Number(r.size) })
  }
  emit({ event: 'done' })
  process.exit(0)
} catch (e) {
  emit({ error: String(e?.message ?? e) })
  log(e?.stack ?? String(e))
  process.exit(1)
}
