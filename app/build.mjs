// Bundles the browser build and the app after `tsc`:
//   dist/browser/segkit.js         segkit/browser: one ES module, no bare imports (vega, arrow, ... inlined)
//   dist/browser/segkit.worker.js  the script its Web Workers run: the worker loop and segkit's own shard ops
//   dist/app/                      the static app `segkit app` serves: index.html, app.css, app.js, and the two above
//   dist/vendor/arrow.js           apache-arrow's ES modules (its Node entry, flatbuffers left to the package) in one file, unminified, for the command:
//                                  Node loads the package's 150 module files in about 0.17 s, this one in 0.05 s
//                                  (package.json "imports": "#arrow" under the segkit-cli condition)
//   dist/vendor/stdlib-*.js        the four @stdlib functions the A/B tests use, one file each: their
//                                  packages are about 300 CommonJS modules, which Node took 0.15 to 0.2 s to load
//                                  (package.json "imports": "#stdlib/..." under the segkit-cli condition)
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

async function bundle(input, file, options = {}, minify = true, banner = undefined) {
  const b = await rolldown({ input: root(input), platform: 'browser', logLevel: 'warn', ...options });
  try {
    const { output } = await b.generate({ format: 'esm', minify, codeSplitting: false, comments: { legal: false }, postBanner: banner });
    if (output.length !== 1) throw new Error(`${input} bundled into ${output.length} files, expected one`);
    writeFileSync(root(file), output[0].code);
    return output[0].code.length;
  } finally {
    await b.close();
  }
}

/** The @stdlib functions segkit imports as #stdlib/<name>, and their packages. */
const STDLIB = { 'normal-cdf': 'stats-base-dists-normal-cdf', 'normal-quantile': 'stats-base-dists-normal-quantile', 't-cdf': 'stats-base-dists-t-cdf', 'kernel-betaincinv': 'math-base-special-kernel-betaincinv' };

/** The app's `import ... from 'segkit/browser'` becomes `./segkit.js`, the browser build copied beside it. */
const besideSegkit = { name: 'beside-segkit', resolveId: (id) => (id === 'segkit/browser' ? { id: './segkit.js', external: true } : null) };

mkdirSync(root('dist/vendor'), { recursive: true });
mkdirSync(root('dist/browser'), { recursive: true });
mkdirSync(root('dist/app'), { recursive: true });
const sizes = {
  'dist/browser/segkit.js': await bundle('dist/index.browser.js', 'dist/browser/segkit.js'),
  'dist/browser/segkit.worker.js': await bundle('dist/index.worker.js', 'dist/browser/segkit.worker.js'),
  // the app uses the browser build as any page would: segkit.js stays a separate file beside it
  'dist/app/app.js': await bundle('app/main.ts', 'dist/app/app.js', { plugins: [besideSegkit] }),
  // the package's own code as it is (not minified, so its classes keep their names), with Node's streams; flatbuffers
  // stays the package's, whose ByteBuffer the readers bound (codecs.ts guardMetadataLists): a copy inlined here went unbounded
  'dist/vendor/arrow.js': await bundle('node_modules/apache-arrow/Arrow.node.mjs', 'dist/vendor/arrow.js', { platform: 'node', external: ['flatbuffers'] }, false),
};
for (const [name, pkg] of Object.entries(STDLIB)) {
  const file = `dist/vendor/stdlib-${name}.js`;
  // minified: plain functions, no class names to keep; the licence, which minifying drops from each module, stated once
  const { license } = JSON.parse(readFileSync(root(`node_modules/@stdlib/${pkg}/package.json`), 'utf8'));
  const banner = `// @stdlib/${pkg} and its dependencies, Copyright (c) The Stdlib Authors, ${license === 'Apache-2.0' ? 'Apache License 2.0' : license}\n`;
  sizes[file] = await bundle(`node_modules/@stdlib/${pkg}/lib/index.js`, file, { platform: 'node' }, true, banner);
}
for (const f of ['segkit.js', 'segkit.worker.js']) copyFileSync(root(`dist/browser/${f}`), root(`dist/app/${f}`));
for (const f of ['index.html', 'app.css']) writeFileSync(root(`dist/app/${f}`), readFileSync(root(`app/${f}`)));
if (process.env.SEGKIT_BUILD_SIZES) for (const [f, n] of Object.entries(sizes)) console.log(`${f} ${(n / 1024).toFixed(0)} KiB`);
