#!/usr/bin/env node
// ort_run.js - run an ONNX model in onnxruntime-node (CPU, 1 thread, all graph optimizations) as the
// reference runtime: inputs from .npy files bound in graph order, each output saved as OUTDIR/<name>.npy.
// Usage: node tests/oracles/ort_run.js MODEL.onnx OUTDIR INPUT.npy...   (exit 2 on any error)
'use strict';
const fs = require('fs');
const path = require('path');

function loadOrt() {
  const dir = process.env.SHRINK_PEERS_DIR || path.join(__dirname, '..', '..', 'build', 'peers');
  for (const p of [path.join(dir, 'node_modules', 'onnxruntime-node'), path.join(dir, 'onnxruntime-node')]) {
    if (fs.existsSync(p)) return require(p);
  }
  throw new Error(`onnxruntime-node not found under ${dir} (run scripts/install_peers.sh)`);
}

// numpy descr (without byte-order char) <-> onnxruntime tensor type and typed array
const DTYPES = {
  f4: ['float32', Float32Array], f8: ['float64', Float64Array], f2: ['float16', Uint16Array],
  i8: ['int64', BigInt64Array], i4: ['int32', Int32Array], i2: ['int16', Int16Array], i1: ['int8', Int8Array],
  u8: ['uint64', BigUint64Array], u4: ['uint32', Uint32Array], u2: ['uint16', Uint16Array],
  u1: ['uint8', Uint8Array], b1: ['bool', Uint8Array],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hstart, hstart + hlen);
  const descr = /'descr':\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${file}: cannot parse header ${header.trim()}`);
  if (fortran[1] === 'True') throw new Error(`${file}: fortran_order arrays are not supported`);
  const order = descr[1][0], code = descr[1].slice(1);
  if (!'<|='.includes(order) || !DTYPES[code]) throw new Error(`${file}: unsupported dtype ${descr[1]}`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s).map(Number);
  const [type, Arr] = DTYPES[code];
  const count = dims.reduce((a, b) => a * b, 1);
  const off = hstart + hlen;
  if (buf.length - off < count * Arr.BYTES_PER_ELEMENT) throw new Error(`${file}: truncated data`);
  // copy into a fresh ArrayBuffer so the typed array is aligned
  const ab = buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + off + count * Arr.BYTES_PER_ELEMENT);
  return { type, dims, data: new Arr(ab) };
}

function writeNpy(file, tensor) {
  const entry = Object.entries(DTYPES).find(([, [t]]) => t === tensor.type);
  if (!entry) throw new Error(`output type ${tensor.type} cannot be written as .npy`);
  const descr = (entry[0] === 'u1' || entry[0] === 'i1' || entry[0] === 'b1' ? '|' : '<') + entry[0];
  const shape = tensor.dims.length === 1 ? `(${tensor.dims[0]},)` : `(${tensor.dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'; // total header length % 64 == 0
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1'); pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
  const d = tensor.data;
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'),
    Buffer.from(d.buffer, d.byteOffset, d.byteLength)]));
}

async function main(argv) {
  if (argv.length < 2) throw new Error('usage: ort_run.js MODEL.onnx OUTDIR INPUT.npy...');
  const [model, outdir, ...inputs] = argv;
  const ort = loadOrt();
  const s = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all',
  });
  if (inputs.length !== s.inputNames.length) {
    throw new Error(`model has ${s.inputNames.length} inputs (${s.inputNames.join(', ')}), got ${inputs.length} .npy files`);
  }
  const feeds = {};
  s.inputNames.forEach((name, i) => {
    const a = readNpy(inputs[i]);
    feeds[name] = new ort.Tensor(a.type, a.data, a.dims);
  });
  const out = await s.run(feeds);
  fs.mkdirSync(outdir, { recursive: true });
  for (const name of s.outputNames) writeNpy(path.join(outdir, name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy'), out[name]);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`ort_run: ${String(e && e.message ? e.message : e).split('\n')[0]}`);
  process.exit(2);
});
