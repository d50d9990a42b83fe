// Prints parts of native/sources.json for binding.gyp (gyp reads command output, not JSON):
//   node native/sources.cjs core|binding          -> source paths
//   node native/sources.cjs sources <arch> <isa>  -> that ISA's source paths
//   node native/sources.cjs flags <arch> <isa>    -> that ISA's compiler flags
//   node native/sources.cjs isas <arch>           -> the ISA names built for <arch>
'use strict';
const list = require('./sources.json');
const [what, arch, isa] = process.argv.slice(2);
const out =
  what === 'core' || what === 'binding' ? list[what]
  : what === 'isas' ? Object.keys(list.isa[arch] ?? {})
  : what === 'sources' ? list.isa[arch]?.[isa]?.sources ?? []
  : what === 'flags' ? list.isa[arch]?.[isa]?.flags ?? []
  : null;
if (out === null) {
  console.error(`unknown request: ${process.argv.slice(2).join(' ')}`);
  process.exit(2);
}
console.log(out.join(' '));
