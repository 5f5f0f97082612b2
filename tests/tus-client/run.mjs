// run.mjs — the reference tus client (tus-js-client, Node build) against a real `yunguan serve`.
//
// Starts the server (no workers) on a temporary data directory, makes a staff token with
// `yunguan token create`, then: (1) uploads a 20 MB generated file in 4 MiB chunks and checks
// progress, the upload URL, GET /api/v1/uploads/<id> → item, the item's title/kind and the
// original's bytes; (2) aborts an upload at ~40 %, resumes it with a new tus.Upload found
// through findPreviousUploads()/resumeFromPreviousUpload(), and checks that it continued from
// the server's offset (no new POST, first PATCH at the HEAD offset, never at 0) with the right
// bytes at the end; (3) runs three uploads in parallel (one sending data with its creation
// request) and gets three items; (4) sends the whole file's sha256 as metadata: the right one
// passes, a wrong one ends in onError (460) with the upload "failed" and no item.
// Everything it starts is stopped and removed, even on failure; the run is bounded in time
// (../test-lib.mjs: checks, runner, server; no browser pieces).
//
// Env: YG_BIN (yunguan binary, required), YG_KEEP_TMP=1 keeps the temp dir.
// Exit: 0 all passed, 1 a check failed, 77 a prerequisite is missing (skipped).

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Skip, assert, check, log, run, serve, sleep, tempDir, yunguan } from '../test-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOTAL_LIMIT_MS = 150_000; // meson's timeout for this test is 180 s
const MiB = 1024 * 1024;

// ---------- prerequisites ----------
async function prerequisites() {
  const bin = process.env.YG_BIN ? path.resolve(process.env.YG_BIN) : null;
  if (!bin || !fs.existsSync(bin)) throw new Skip(`YG_BIN is not set or missing (${bin || 'unset'})`);
  let tus;
  try {
    tus = await import('tus-js-client');
  } catch {
    throw new Skip(`tus-js-client is not installed: run "npm ci" in ${HERE}`);
  }
  if (typeof fetch !== 'function') throw new Skip('this Node has no fetch (Node 18 or later is needed)');
  return { bin, tus };
}

function makeToken(bin, dataDir) {
  const token = yunguan(bin, ['token', 'create', '--data', dataDir, '--role', 'staff', '--name', 'tus-client']);
  assert(token && !token.includes('\n'), `"yunguan token create" printed ${JSON.stringify(token)}`);
  return token;
}

/**
 * Whether the server keeps a connection open after a 204 (two OPTIONS on one socket).
 * libsoup 3.2 closes after any response without a length (see /tus/bugs/keepalive-after-204 in
 * tests/tus-test.c); Node's default keep-alive agent then fails the next PATCH with
 * "socket hang up". While that bug stands this test uses a non-keep-alive agent.
 */
function keepAliveAfter204(port) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = '';
    let answers = 0;
    const done = (ok) => { clearTimeout(timer); sock.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), 3000);
    const ask = () => sock.write('OPTIONS /api/v1/uploads HTTP/1.1\r\nHost: t\r\n\r\n');
    sock.on('connect', ask);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        answers += 1;
        if (answers === 2) return done(true);
        setTimeout(ask, 100);
      }
    });
    sock.on('close', () => done(answers >= 2));
    sock.on('error', () => done(false));
  });
}

// ---------- helpers ----------
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

function makeFile(dir, name, size) {
  const p = path.join(dir, name);
  const fd = fs.openSync(p, 'w');
  for (let done = 0; done < size; done += MiB) fs.writeSync(fd, crypto.randomBytes(Math.min(MiB, size - done)));
  fs.closeSync(fd);
  return p;
}

function uploadIdOf(url) {
  const m = /\/api\/v1\/uploads\/([A-Za-z0-9_-]{16})$/.exec(url || '');
  assert(m, `unexpected upload URL ${JSON.stringify(url)}`);
  return m[1];
}

/** Runs one tus.Upload to its end; resolves with { upload, lastResponse, progress } or rejects with the error. */
function runUpload(tus, input, options) {
  return new Promise((resolve, reject) => {
    const progress = [];
    const upload = new tus.Upload(input, {
      retryDelays: null,
      ...options,
      onProgress: (sent, total) => { progress.push([sent, total]); options.onProgress?.(sent, total, upload); },
      onSuccess: (payload) => resolve({ upload, lastResponse: payload?.lastResponse, progress }),
      onError: (err) => { err.upload = upload; err.progress = progress; reject(err); },
    });
    options.start ? options.start(upload) : upload.start();
  });
}

// ---------- main ----------
async function main() {
  const { bin, tus } = await prerequisites();
  const tmp = tempDir('yunguan-tus-client-');
  const dataDir = path.join(tmp, 'data');
  const token = makeToken(bin, dataDir);
  const base = await serve(bin, dataDir);
  const port = Number(new URL(base).port);
  const endpoint = `${base}/api/v1/uploads`;
  const auth = { Authorization: `Bearer ${token}` };
  const originals = path.join(dataDir, 'originals');
  log(`server on ${base}, data ${dataDir}`);

  async function api(p, { status = 200, method = 'GET', headers = {} } = {}) {
    const res = await fetch(base + p, { method, headers: { ...auth, ...headers }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    assert(res.status === status, `${method} ${p}: HTTP ${res.status} (wanted ${status}) ${text}`);
    return { res, body: text ? (method === 'HEAD' ? null : JSON.parse(text)) : null };
  }

  /** GET /api/v1/uploads/<id> until it is done; returns the item id. */
  async function itemOf(id) {
    const end = Date.now() + 20_000;
    for (;;) {
      const { body } = await api(`/api/v1/uploads/${id}`);
      if (body.state === 'done') {
        assert(typeof body.item_id === 'string' && body.item_id.length === 16, `bad item_id ${JSON.stringify(body)}`);
        return body.item_id;
      }
      assert(body.state !== 'failed', `upload ${id} failed: ${JSON.stringify(body.error)}`);
      assert(Date.now() < end, `upload ${id} still ${body.state} after 20 s`);
      await sleep(100);
    }
  }

  function original(item, ext) {
    const p = path.join(originals, item, `original.${ext}`);
    assert(fs.existsSync(p), `no original at ${p}`);
    return fs.readFileSync(p);
  }

  const common = { endpoint, headers: auth, chunkSize: 4 * MiB };
  if (!(await keepAliveAfter204(port))) {
    log('KNOWN BUG: the server closes the connection after every 204 (libsoup treats a response '
      + 'without a length as EOF-terminated; see /tus/bugs/keepalive-after-204); using an agent without keep-alive');
    common.httpStack = new tus.DefaultHttpStack({ agent: new http.Agent({ keepAlive: false }) });
  }

  // (1) a whole 20 MB file, 4 MiB at a time
  await check('full upload (20 MB file, 4 MiB chunks)', async () => {
    const size = 20 * 1000 * 1000;
    const file = makeFile(tmp, 'concert.mp4', size);
    const want = sha256(fs.readFileSync(file));
    const patches = [];
    const { upload, lastResponse, progress } = await runUpload(tus, fs.createReadStream(file), {
      ...common,
      metadata: { filename: 'concert.mp4', title: '新年音乐会 2025', kind: 'performance' },
      onBeforeRequest: (req) => { if (req.getMethod() === 'PATCH') patches.push(Number(req.getHeader('Upload-Offset'))); },
    });
    const id = uploadIdOf(upload.url);
    assert(upload.url === `${endpoint}/${id}`, `upload URL ${upload.url}`);
    const last = progress[progress.length - 1];
    assert(last && last[0] === size && last[1] === size, `progress ended at ${JSON.stringify(last)}`);
    assert(progress.every(([s], i) => i === 0 || s >= progress[i - 1][0]), 'progress went backwards');
    assert(patches.length === 5 && patches.every((o, i) => o === i * 4 * MiB), `PATCH offsets ${patches}`);
    const item = await itemOf(id);
    const header = lastResponse?.getHeader('Yunguan-Item-Id');
    assert(header === item, `final response Yunguan-Item-Id ${header}, GET says ${item}`);
    const { body } = await api(`/api/v1/items/${item}`);
    assert(body.title === '新年音乐会 2025' && body.kind === 'performance' && body.status === 'processing',
      `item ${JSON.stringify(body)}`);
    assert(sha256(original(item, 'mp4')) === want, 'the original differs from the file sent');
    return `item ${item}, ${progress.length} progress events`;
  });

  // (2) interrupted at ~40 %, resumed by a new tus.Upload from the server's offset
  await check('abort at ~40 % and resume (findPreviousUploads)', async () => {
    const size = 12 * MiB;
    const file = makeFile(tmp, 'lesson.mov', size);
    const want = sha256(fs.readFileSync(file));
    const urlStorage = new tus.FileUrlStorage(path.join(tmp, 'tus-urls.json'));
    const opts = { ...common, chunkSize: 2 * MiB, urlStorage, metadata: { filename: 'lesson.mov', title: '书法课 第三讲', kind: 'lesson' } };

    // first attempt: abort() once 40 % has gone out
    let first;
    await new Promise((resolve, reject) => {
      first = new tus.Upload(fs.createReadStream(file), {
        ...opts,
        retryDelays: null,
        onProgress: (sent) => { if (sent >= 0.4 * size && !first.aborted) { first.aborted = true; first.abort().then(resolve, reject); } },
        onSuccess: () => reject(new Error('the first attempt finished although it was aborted')),
        onError: reject,
      });
      first.start();
    });
    const id = uploadIdOf(first.url);

    // the server keeps what arrived; wait until its offset settles
    let offset = -1;
    for (let stable = 0, end = Date.now() + 10_000; stable < 3; ) {
      const { res } = await api(`/api/v1/uploads/${id}`, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0' } });
      const o = Number(res.headers.get('upload-offset'));
      stable = o === offset ? stable + 1 : 0;
      offset = o;
      assert(Date.now() < end, 'the offset did not settle within 10 s');
      await sleep(100);
    }
    assert(offset >= 4 * MiB && offset < size, `server offset after the abort: ${offset}`);

    // second attempt: a new Upload finds the stored URL and continues from the server's offset
    const methods = [];
    const headOffsets = [];
    const patchOffsets = [];
    let firstProgress = null;
    const { upload } = await runUpload(tus, fs.createReadStream(file), {
      ...opts,
      retryDelays: [100, 300, 1000], // a 423 while the server still closes the old request is retried
      onBeforeRequest: (req) => {
        methods.push(req.getMethod());
        if (req.getMethod() === 'PATCH') patchOffsets.push(Number(req.getHeader('Upload-Offset')));
      },
      onAfterResponse: (req, res) => {
        if (req.getMethod() === 'HEAD') headOffsets.push(Number(res.getHeader('Upload-Offset')));
      },
      onProgress: (sent) => { if (firstProgress === null) firstProgress = sent; },
      start: async (u) => {
        const previous = await u.findPreviousUploads();
        assert(previous.length >= 1, 'findPreviousUploads() found nothing');
        u.resumeFromPreviousUpload(previous[0]);
        u.start();
      },
    });
    assert(upload.url === first.url, `resumed at ${upload.url}, not ${first.url}`);
    assert(!methods.includes('POST'), `the resumed upload created a new one: ${methods}`);
    assert(methods[0] === 'HEAD' && headOffsets[0] === offset, `resume began with ${methods[0]} (HEAD said ${headOffsets[0]}, server ${offset})`);
    assert(patchOffsets[0] === offset, `first PATCH at ${patchOffsets[0]}, server offset ${offset}`);
    assert(firstProgress >= offset, `progress restarted at ${firstProgress} (offset ${offset})`);
    const item = await itemOf(id);
    assert(sha256(original(item, 'mov')) === want, 'the resumed original differs from the file');
    return `resumed from ${offset} of ${size} bytes`;
  });

  // (3) three uploads at once → three items
  await check('three parallel uploads', async () => {
    const sizes = [3 * MiB + 17, 5 * MiB, 1 * MiB + 1];
    const bufs = sizes.map((s) => crypto.randomBytes(s));
    const before = fs.existsSync(originals) ? fs.readdirSync(originals).length : 0;
    const results = await Promise.all(bufs.map((buf, i) => runUpload(tus, buf, {
      ...common,
      chunkSize: 1 * MiB,
      uploadDataDuringCreation: i === 2, // creation-with-upload
      metadata: { filename: `part-${i}.mp4`, title: `并行上传 ${i}`, kind: 'heritage' },
    })));
    const items = [];
    for (const [i, r] of results.entries()) {
      const item = await itemOf(uploadIdOf(r.upload.url));
      assert(original(item, 'mp4').equals(bufs[i]), `original ${i} differs`);
      const { body } = await api(`/api/v1/items/${item}`);
      assert(body.title === `并行上传 ${i}` && body.kind === 'heritage', `item ${i}: ${JSON.stringify(body)}`);
      items.push(item);
    }
    assert(new Set(items).size === 3, `items ${items}`);
    assert(fs.readdirSync(originals).length === before + 3, 'not exactly three new originals');
    return items.join(' ');
  });

  // (4) the whole file's sha256 as metadata
  await check('sha256 metadata: right passes, wrong fails with no item', async () => {
    const buf = crypto.randomBytes(6 * MiB);
    const good = await runUpload(tus, buf, {
      ...common,
      metadata: { filename: 'ok.mp4', title: 'ok', kind: 'lesson', sha256: sha256(buf) },
    });
    const item = await itemOf(uploadIdOf(good.upload.url));
    assert(original(item, 'mp4').equals(buf), 'the verified original differs');

    const before = fs.readdirSync(originals).length;
    const bad = sha256(Buffer.concat([buf, Buffer.from('x')]));
    let err = null;
    try {
      await runUpload(tus, buf, { ...common, metadata: { filename: 'bad.mp4', title: 'bad', kind: 'lesson', sha256: bad } });
    } catch (e) {
      err = e;
    }
    assert(err, 'an upload whose sha256 metadata is wrong succeeded');
    const status = err.originalResponse?.getStatus();
    assert(status === 460, `onError with HTTP ${status}: ${err.message}`);
    assert(/SHA-256/.test(err.originalResponse.getBody()), `unclear message: ${err.originalResponse.getBody()}`);
    const id = uploadIdOf(err.upload.url);
    const { body } = await api(`/api/v1/uploads/${id}`);
    assert(body.state === 'failed' && body.item_id === null && body.error?.code === 'checksum_mismatch',
      `failed upload: ${JSON.stringify(body)}`);
    assert(fs.readdirSync(originals).length === before, 'a failed upload left an original');
    return `460: ${JSON.parse(err.originalResponse.getBody()).error.message.slice(0, 60)}…`;
  });
}

run('tus-client', TOTAL_LIMIT_MS, main);
