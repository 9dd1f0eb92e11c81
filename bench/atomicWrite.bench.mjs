// Writing a large output durably: segkit's AtomicFile straight to the disk (O_DIRECT, the default where the file
// system takes it) against the page cache (SEGKIT_DIRECT_IO=0), with `dd` of the same size as the floor, in one run.
// Each case runs in its own process, alternating; prints wall time, kernel (system) time and peak RSS.
// Usage: npm run build && node bench/atomicWrite.bench.mjs [--mb 1500] [--repeats 3] [--dir bench/.data]
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: {
  mb: { type: 'string', default: '1500' }, repeats: { type: 'string', default: '3' },
  dir: { type: 'string', default: fileURLToPath(new URL('./.data', import.meta.url)) }, child: { type: 'string' },
} });
const mb = Number(values.mb);

if (values.child) {
  // the child: one file of `mb` MiB in 1 MiB pieces (as a streaming writer hands them on), then its times
  const { AtomicFile } = await import('../dist/data/writeFileAtomic.node.js');
  const piece = new Uint8Array(2 ** 20).map((_, i) => 1 + (i % 251));
  const c0 = process.cpuUsage(), t0 = performance.now();
  const file = await AtomicFile.open(values.child);
  for (let q = 0; q < mb; q++) await file.write(piece);
  const route = file.route;
  await file.commit();
  const c = process.cpuUsage(c0);
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, user: c.user / 1e6, system: c.system / 1e6, rss: process.resourceUsage().maxRSS * 1024, route }));
  rmSync(values.child);
  process.exit(0);
}

mkdirSync(values.dir, { recursive: true });
const target = join(values.dir, `atomic-write-${process.pid}.bin`);
const run = (env) => {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--mb', String(mb), '--child', target], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};
const dd = (flags) => {
  const t0 = performance.now();
  const r = spawnSync('dd', ['if=/dev/zero', `of=${target}`, 'bs=1M', `count=${mb}`, ...flags, 'status=none']);
  const seconds = (performance.now() - t0) / 1000;
  rmSync(target, { force: true });
  return r.status === 0 ? seconds : NaN;
};
const rows = { direct: [], cache: [], ddCache: [], ddDirect: [] };
for (let r = 0; r < Number(values.repeats); r++) {
  rows.direct.push(run({}));
  rows.cache.push(run({ SEGKIT_DIRECT_IO: '0' }));
  rows.ddCache.push(dd(['conv=fsync']));
  rows.ddDirect.push(dd(['oflag=direct', 'conv=fsync']));
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const line = (what, xs) => console.log(`| ${what} | ${xs.map((x) => `${x.seconds.toFixed(2)} s (kernel ${x.system.toFixed(2)} s, ${(x.rss / 2 ** 20).toFixed(0)} MiB)`).join(' / ')} | ${med(xs.map((x) => x.seconds)).toFixed(2)} s |`);
console.log(`# ${mb} MiB written durably to ${values.dir}, ${values.repeats} alternating runs`);
console.log('| writer | runs | median |\n|---|---|---|');
line(`AtomicFile, ${rows.direct[0].route}`, rows.direct);
line(`AtomicFile, ${rows.cache[0].route} (SEGKIT_DIRECT_IO=0)`, rows.cache);
console.log(`| dd conv=fsync | ${rows.ddCache.map((x) => `${x.toFixed(2)} s`).join(' / ')} | ${med(rows.ddCache).toFixed(2)} s |`);
console.log(`| dd oflag=direct conv=fsync | ${rows.ddDirect.map((x) => `${x.toFixed(2)} s`).join(' / ')} | ${med(rows.ddDirect).toFixed(2)} s |`);
console.log(`ratio, page cache / direct (medians): ${(med(rows.cache.map((x) => x.seconds)) / med(rows.direct.map((x) => x.seconds))).toFixed(2)}x`);
