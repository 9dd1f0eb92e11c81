import { rolldown } from 'rolldown';
const LAZY = [/[\\/]report[\\/]/, /^vega/, /^hyparquet/, /^#arrow\/ipc$/, /^apache-arrow\/ipc\//, /^papaparse$/, /[\\/]data[\\/]csvCore\.js$/];
const b = await rolldown({ input: process.argv[2], platform: 'browser', logLevel: 'silent', external: LAZY });
const { output } = await b.generate({ format: 'esm', minify: true, codeSplitting: false });
const mods = Object.entries(output[0].modules).map(([id, m]) => [id.replace(/.*\/(dist|node_modules)\//, '$1/'), m.renderedLength]).sort((a, b) => b[1] - a[1]);
let tot = 0; for (const [, l] of mods) tot += l;
console.log('total', tot);
for (const [id, l] of mods.slice(0, 40)) console.log(String(l).padStart(7), id);
await b.close();
