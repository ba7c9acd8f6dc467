// What takes the room in a wasm file: the size of each function body (code section), named from
// the "name" custom section, summed per crate (the first path segment of the name) and listed
// largest first; plus the data section. Needs a wasm that still has its names (the cargo output
// before wasm-bindgen/wasm-opt strip them, or any build with names kept).
//   node scripts/wasm-top.mjs file.wasm [rows]     (default 25 rows of each list)
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const bytes = readFileSync(process.argv[2]);
const rows = Number(process.argv[3] ?? 25);
let pos = 8; // magic + version

function leb() {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return result;
  }
}
function name() {
  const len = leb();
  const s = bytes.toString('utf8', pos, pos + len);
  pos += len;
  return s;
}

let importedFunctions = 0;
const bodySizes = [];
const names = new Map();
const sections = {};
while (pos < bytes.length) {
  const id = bytes[pos++];
  const size = leb();
  const end = pos + size;
  if (id === 2) {
    // imports: count the functions (they come first in the function index space)
    for (let n = leb(); n > 0; n--) {
      name();
      name();
      const kind = bytes[pos++];
      if (kind === 0) { leb(); importedFunctions++; }
      else if (kind === 1) { pos++; const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 2) { const f = leb(); leb(); if (f & 1) leb(); }
      else if (kind === 3) { pos += 2; }
      else if (kind === 4) { pos++; leb(); }
    }
  } else if (id === 10) {
    for (let n = leb(); n > 0; n--) {
      const len = leb();
      bodySizes.push(len);
      pos += len;
    }
  } else if (id === 0) {
    const custom = name();
    sections[`custom "${custom}"`] = size;
    if (custom === 'name') {
      while (pos < end) {
        const sub = bytes[pos++];
        const subSize = leb();
        const subEnd = pos + subSize;
        if (sub === 1) {
          for (let n = leb(); n > 0; n--) {
            const index = leb();
            names.set(index, name());
          }
        }
        pos = subEnd;
      }
    }
  }
  if (id !== 0) sections[['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'datacount'][id] ?? `section ${id}`] = size;
  pos = end;
}

// Rust's mangled names, demangled by binutils' c++filt (legacy and v0 schemes), without the
// hashes and crate disambiguators.
const raw = bodySizes.map((_, i) => names.get(importedFunctions + i) ?? `func[${importedFunctions + i}]`);
const demangled = spawnSync('c++filt', { input: raw.join('\n'), maxBuffer: 1 << 28 });
const readable = demangled.status === 0 ? demangled.stdout.toString().split('\n') : raw;
const clean = (n) => n.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]+\]/g, '');
const functions = bodySizes.map((size, i) => ({ size, name: clean(readable[i] ?? raw[i]) }));
const total = bytes.length;
const pct = (n) => `${((100 * n) / total).toFixed(1)} %`;
const fmt = (n) => n.toLocaleString('en').padStart(10);

console.log(`${process.argv[2]}: ${total.toLocaleString('en')} bytes, ${functions.length} functions${names.size ? '' : ' (no names: stripped)'}`);
console.log('\nsections:');
for (const [k, v] of Object.entries(sections).sort((a, b) => b[1] - a[1])) console.log(`${fmt(v)}  ${pct(v).padStart(7)}  ${k}`);

// The crate a function belongs to: `<T as crate::Trait>::f` counts for the trait's crate when T
// is a primitive, else for T's crate; generic instances count for the outermost path.
function crateOf(n) {
  // `<T as tachys::…>::f`, `<str as core::…>::f`: a type without a path counts for the trait.
  const bare = n.match(/^<&?(?:mut )?[A-Za-z_][A-Za-z0-9_]* as ([A-Za-z_][A-Za-z0-9_]*)::/);
  if (bare) return bare[1];
  const m = n.match(/^<?(?:&(?:mut )?)?([A-Za-z_][A-Za-z0-9_]*)::([A-Za-z_][A-Za-z0-9_]*)?(?:::([A-Za-z_][A-Za-z0-9_]*))?/);
  // This crate by module (checkout::pages::admin, …); others by crate.
  if (m && m[1] === 'checkout') return ['checkout', m[2], m[3]].filter(Boolean).join('::');
  if (m) return m[1];
  if (/^(dlmalloc|memcpy|memset|memmove|memcmp|__)/.test(n)) return 'core/alloc (libc)';
  return '(other)';
}
const perCrate = new Map();
for (const f of functions) perCrate.set(crateOf(f.name), (perCrate.get(crateOf(f.name)) ?? 0) + f.size);
console.log(`\ncode per crate (top ${rows}):`);
for (const [k, v] of [...perCrate].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${fmt(v)}  ${pct(v).padStart(7)}  ${k}`);
console.log(`\nlargest functions (top ${rows}):`);
for (const f of [...functions].sort((a, b) => b.size - a.size).slice(0, rows)) console.log(`${fmt(f.size)}  ${pct(f.size).padStart(7)}  ${f.name.slice(0, 140)}`);
