#!/usr/bin/env node
// ort_bench.js - latency/throughput of an ONNX model in onnxruntime-node (CPU), the speed peer for shrink.
// Inputs are seeded random tensors shaped from the session's input metadata (symbolic dims: dim 0 -> batch, else 128).
// Usage: node bench/ort_bench.js MODEL.onnx [--threads N] [--batch B] [--warmup W] [--iters I] [--shape name=1x3x224x224]... [--json]
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dir = process.env.SHRINK_PEERS_DIR || path.join(__dirname, '..', 'build', 'peers');
  for (const p of [path.join(dir, 'node_modules', 'onnxruntime-node'), path.join(dir, 'onnxruntime-node')]) {
    if (fs.existsSync(p)) return require(p);
  }
  throw new Error(`onnxruntime-node not found under ${dir} (run scripts/install_peers.sh)`);
}

function parseArgs(argv) {
  const a = { threads: 1, batch: 1, warmup: 5, iters: 20, json: false, shapes: {}, model: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--json') a.json = true;
    else if (k === '--shape') {
      const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(argv[++i] || '');
      if (!m) throw new Error('--shape wants name=DxDxD');
      a.shapes[m[1]] = m[2].split('x').map(Number);
    } else if (['--threads', '--batch', '--warmup', '--iters'].includes(k)) {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < (k === '--warmup' ? 0 : 1)) throw new Error(`bad value for ${k}`);
      a[k.slice(2)] = v;
    } else if (!k.startsWith('--') && !a.model) a.model = k;
    else throw new Error(`unknown argument ${k}`);
  }
  if (!a.model) throw new Error('usage: ort_bench.js MODEL.onnx [--threads N] [--batch B] [--warmup W] [--iters I] [--shape name=DxD] [--json]');
  return a;
}

function mulberry32(seed) { // small seeded PRNG, uniform [0,1)
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomTensor(ort, meta, dims, rnd) {
  const n = dims.reduce((x, y) => x * y, 1);
  const fill = (Arr, f) => { const d = new Arr(n); for (let i = 0; i < n; i++) d[i] = f(); return d; };
  switch (meta.type) {
    case 'float32': return new ort.Tensor('float32', fill(Float32Array, () => rnd() * 2 - 1), dims);
    case 'float64': return new ort.Tensor('float64', fill(Float64Array, () => rnd() * 2 - 1), dims);
    case 'int64': return new ort.Tensor('int64', fill(BigInt64Array, () => BigInt(Math.floor(rnd() * 1000))), dims);
    case 'int32': return new ort.Tensor('int32', fill(Int32Array, () => Math.floor(rnd() * 1000)), dims);
    case 'uint8': return new ort.Tensor('uint8', fill(Uint8Array, () => Math.floor(rnd() * 256)), dims);
    case 'int8': return new ort.Tensor('int8', fill(Int8Array, () => Math.floor(rnd() * 256) - 128), dims);
    case 'bool': return new ort.Tensor('bool', fill(Uint8Array, () => (rnd() < 0.5 ? 1 : 0)), dims);
    default: throw new Error(`input ${meta.name}: type ${meta.type} not supported`);
  }
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const s = await ort.InferenceSession.create(a.model, {
    executionProviders: ['cpu'], intraOpNumThreads: a.threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  const rnd = mulberry32(12345);
  const feeds = {};
  for (const meta of s.inputMetadata) { // onnxruntime-node >= 1.22: {name, isTensor, type, shape}
    let dims = a.shapes[meta.name];
    if (!dims) {
      if (!meta.isTensor) throw new Error(`input ${meta.name} is not a tensor`);
      dims = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? a.batch : 128));
    }
    feeds[meta.name] = randomTensor(ort, meta, dims, rnd);
  }
  for (let i = 0; i < a.warmup; i++) await s.run(feeds);
  const t = [];
  for (let i = 0; i < a.iters; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  t.sort((x, y) => x - y);
  const mid = t.length >> 1;
  const median = t.length % 2 ? t[mid] : (t[mid - 1] + t[mid]) / 2;
  const p90 = t[Math.max(0, Math.ceil(0.9 * t.length) - 1)];
  const batch = Object.values(feeds)[0]?.dims[0] ?? a.batch;
  const r = { median_ms: +median.toFixed(3), p90_ms: +p90.toFixed(3), min_ms: +t[0].toFixed(3),
    throughput: +(1000 * batch / median).toFixed(2) };
  if (a.json) console.log(JSON.stringify(r));
  else {
    const shapes = Object.entries(feeds).map(([k, v]) => `${k}[${v.dims.join('x')}]`).join(' ');
    console.log(`ort ${path.basename(a.model)} threads=${a.threads} ${shapes} iters=${a.iters}: median ${r.median_ms} ms, ` +
      `p90 ${r.p90_ms} ms, min ${r.min_ms} ms, throughput ${r.throughput} samples/s`);
  }
}

main().catch((e) => {
  console.error(`ort_bench: ${String(e && e.message ? e.message : e).split('\n')[0]}`);
  process.exit(2);
});
