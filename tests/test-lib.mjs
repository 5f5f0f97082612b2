// tests/test-lib.mjs — what every Node test runner (browser/, tus-client/) shares, with Node's
// built-in modules only (no playwright, no tus-js-client): named checks with timings, polling,
// cleanups that always run (last registered first), scratch directories, `yunguan` subcommands,
// a real `yunguan serve` (./yg-serve.mjs) stopped at the end, and one runner that bounds the
// total time and exits with 0 (all passed), 1 (a check failed) or 77 (a prerequisite is
// missing: skipped). browser/harness.mjs re-exports all of it.
//
// Each test file is one process: the state below (cleanups, passed count, server log) is per run.
// Env: YG_KEEP_TMP=1 keeps the scratch directories.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startServer as spawnServer, stopServer } from './yg-serve.mjs';

export const SKIP = 77;
export class Skip extends Error {}

const cleanups = [];
const keptDirs = new Set();
const serverLog = [];
let passed = 0;
let tag = 'test';

export const log = (...a) => console.log(`[${tag}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Run cleanup fn (async allowed) at the end of the run, last registered first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/** Runs one named check; logs "ok   name (N ms) — note" or rethrows with the name in front. */
export async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    passed += 1;
    log(`ok   ${name} (${Date.now() - t0} ms)${note ? ` — ${note}` : ''}`);
  } catch (e) {
    if (e instanceof Skip) throw e;
    e.message = `${name}: ${e.message}`;
    throw e;
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** An error that stops until() at once. */
export function fatal(msg) {
  return Object.assign(new Error(msg), { fatal: true });
}

/** Poll fn() until it returns a truthy value or ms elapse; throws msg on timeout. */
export async function until(fn, ms, msg, every = 500) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`${msg} (gave up after ${ms / 1000} s; last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/** A scratch directory, removed at the end unless YG_KEEP_TMP=1 or keepDir() was called on it. */
export function tempDir(prefix) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => {
    if (process.env.YG_KEEP_TMP === '1' || keptDirs.has(tmp)) log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });
  return tmp;
}

/** Keeps a tempDir() at the end of the run (it holds something to look at afterwards). */
export function keepDir(dir) {
  keptDirs.add(dir);
}

/** Runs a yunguan subcommand (stdin from `input`); resolves to its trimmed stdout. */
export function yunguan(bin, args, { skipOnFailure = false, input } = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000, env: process.env, input });
  if (r.status !== 0) {
    const msg = `"yunguan ${args[0]}" failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): `
      + `${(r.stderr || '').trim().split('\n').slice(-3).join(' | ') || 'no output'}`;
    if (skipOnFailure) throw new Skip(msg);
    throw new Error(msg);
  }
  return (r.stdout || '').trim();
}

/** `yunguan serve` on a loopback port, stopped at the end of the run; resolves to its base URL. */
export async function serve(bin, dataDir, { workers = '0', env = process.env } = {}) {
  fs.mkdirSync(dataDir, { recursive: true });
  const { port } = await spawnServer(bin, dataDir, {
    workers, env, serverLog, onSpawn: (child) => onCleanup(() => stopServer(child, log)),
  });
  return `http://127.0.0.1:${port}`;
}

/** Runs main() within limitMs, then cleans up and exits with 0, 1 or 77. */
export function run(name, limitMs, main) {
  tag = name;
  let finished = false;
  async function finish(code, message) {
    if (finished) return;
    finished = true;
    if (message) log(message);
    if (code === 1 && serverLog.length) log(`last server stderr lines:\n    ${serverLog.slice(-20).join('\n    ')}`);
    while (cleanups.length) {
      const fn = cleanups.pop();
      try { await Promise.race([fn(), sleep(15_000)]); } catch (e) { log(`cleanup: ${e.message}`); }
    }
    if (code === SKIP) console.log(`${name}: ${passed} passed, 0 failed, 1 skipped`);
    else console.log(`${name}: ${passed} passed, ${code === 0 ? 0 : 1} failed`);
    process.exit(code);
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => finish(1, `interrupted by ${sig}`));
  const limit = setTimeout(() => finish(1, `FAIL: the run exceeded ${limitMs / 1000} s`), limitMs);
  main().then(
    () => { clearTimeout(limit); return finish(0); },
    (e) => {
      clearTimeout(limit);
      if (e instanceof Skip) return finish(SKIP, `SKIP: ${e.message}`);
      return finish(1, `FAIL: ${e.message}`);
    },
  );
}
