// tests/yg-serve.mjs: a real `yunguan serve` for the Node test runners (browser/, tus-client/).
// It listens on an ephemeral loopback port, runs in its own process group (its workers die with
// it), and keeps its last 60 lines of standard error in `serverLog` for failure reports.
import { spawn } from 'node:child_process';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves to { child, port } once the server prints "yunguan: port N" (within 20 s).
// `onSpawn(child)` runs at once, so a caller can register the cleanup before anything can fail.
export function startServer(bin, dataDir, { workers = '0', env = process.env, serverLog = [], onSpawn } = {}) {
  const child = spawn(bin, ['serve', '--data', dataDir, '--listen', '127.0.0.1:0', '--workers', workers, '--access-log', 'off'],
    { stdio: ['ignore', 'ignore', 'pipe'], env, detached: true });
  if (onSpawn) onSpawn(child);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('server printed no "yunguan: port N" within 20 s')), 20_000);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const line of lines) {
        serverLog.push(line);
        if (serverLog.length > 60) serverLog.shift();
        const m = /^yunguan: port (\d+)/.exec(line);
        if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
      }
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`server exited early (code ${code}, signal ${sig})`)); });
  });
}

// SIGTERM, up to 10 s for a clean stop, then SIGKILL to the whole group.
export async function stopServer(child, log) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const ok = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!ok) log('server did not stop within 10 s of SIGTERM; killing it');
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group already gone */ }
}
