// koffi (Node) on the shapes of benches/peers/run.sh. Thread CPU time is
// not exposed to JS; process.cpuUsage() (user + system) is used, best of 7,
// empty loop subtracted. Prints "koffi <shape> <ns per call>".
'use strict';
const koffi = require(process.argv[2]);
const lib = koffi.load(process.argv[3]);
const libc = koffi.load('libc.so.6');
const N = Number(process.argv[4] || 200000);
const Pt = koffi.struct('pr_pt', { x: 'double', y: 'double' });
const M24 = koffi.struct('pr_m24', { a: 'long', b: 'long', c: 'long' });
const fvoid = lib.func('void pr_void(void)');
const add6 = lib.func('long pr_add6(long, long, long, long, long, long)');
const strlen = libc.func('size_t strlen(const char *)');
const addpt = lib.func('pr_pt pr_addpt(pr_pt, pr_pt)');
const m24 = lib.func('pr_m24 pr_m24(pr_m24)');
const Cmp = koffi.proto('int pr_cmp_t(const void *, const void *)');
const qsort = libc.func('void qsort(_Inout_ void *, size_t, size_t, pr_cmp_t *)');

function cpu() { const u = process.cpuUsage(); return (u.user + u.system) * 1000; }
function best(f) {
  let b = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = cpu();
    f(N);
    const t = (cpu() - t0) / N;
    if (t < b) b = t;
  }
  return b;
}
const empty = best(n => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; });
function report(shape, f) { console.log(`koffi ${shape} ${(best(f) - empty).toFixed(2)}`); }

report('void', n => { for (let i = 0; i < n; i++) fvoid(); });
report('add6', n => { let s = 0; for (let i = 0; i < n; i++) s += add6(i, 2, 3, 4, 5, 6); return s; });
report('strlen', n => { let s = 0; for (let i = 0; i < n; i++) s += strlen('hello, world'); return s; });
const p = { x: 1.5, y: 2.5 }, q = { x: 0.25, y: 4.0 };
report('addpt', n => { let s = 0; for (let i = 0; i < n; i++) s += addpt(p, q).x; return s; });
const m = { a: 1, b: 2, c: 3 };
report('m24', n => { let s = 0; for (let i = 0; i < n; i++) s += m24(m).a; return s; });

let calls = 0;
const cb = koffi.register((a, b) => {
  calls++;
  const x = koffi.decode(a, 'int'), y = koffi.decode(b, 'int');
  return (x > y) - (x < y);
}, koffi.pointer(Cmp));
const arr = new Int32Array(64);
let b = Infinity;
for (let r = 0; r < 7; r++) {
  calls = 0;
  const t0 = cpu();
  for (let k = 0; k < 200; k++) {
    for (let j = 0; j < 64; j++) arr[j] = (j * 37) % 64;
    qsort(arr, 64, 4, cb);
  }
  const t = (cpu() - t0) / calls;
  if (t < b) b = t;
}
console.log(`koffi qsort ${b.toFixed(2)}`);
koffi.unregister(cb);
