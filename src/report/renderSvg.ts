import type { TopLevelSpec } from 'vega-lite';
import { SegkitError, badOption } from '../util/errors.js';

export interface RenderSvgOptions {
  /**
   * Prefix for every id in the SVG (gradients, clip paths) and the references to them: give each chart its own
   * so several can be inlined in one HTML page without one picking up another's gradient.
   */
  readonly idPrefix?: string;
}

const DEFAULTS = Object.freeze({ idPrefix: '' });

/** A loader that refuses everything: report charts carry their data inline and must never touch the network. */
// vega and vega-lite are loaded on the first render, so importing segkit does not pay for them
let engines: Promise<[typeof import('vega'), typeof import('vega-lite'), typeof import('vega-interpreter')]> | undefined;
const loadEngines = () => (engines ??= Promise.all([import('vega'), import('vega-lite'), import('vega-interpreter')]));

function offlineLoader(vegaLoader: (typeof import('vega'))['loader']) {
  const refuse = async (uri: unknown): Promise<never> => {
    throw new SegkitError('E_IO', `charts render offline; refusing to load ${JSON.stringify(uri)}`, 'pass data inline as { values: [...] }');
  };
  const l = vegaLoader();
  l.load = refuse;
  l.sanitize = refuse;
  l.http = refuse;
  l.file = refuse;
  return l;
}

/**
 * The spec with U+2028 and U+2029 in its strings made spaces: Vega's expression parser ends a string literal at
 * them (line terminators), and Vega-Lite writes categories into expressions (a sort order), so a category or
 * feature name holding one (a line separator pasted into a spreadsheet cell) would fail the chart. Data values and
 * the expressions that name them change alike.
 */
function withoutLineSeparators<T>(v: T): T {
  if (typeof v === 'string') return v.replace(/[\u2028\u2029]/g, ' ') as T;
  if (Array.isArray(v)) return v.map(withoutLineSeparators) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([key, x]) => [key, withoutLineSeparators(x)])) as T;
  }
  return v;
}

/**
 * Renames every id (gradients, clip paths) to prefix + kind + ordinal of appearance, with the references to it:
 * vega numbers them from a process-wide counter, so without this the same chart renders differently on a second call.
 */
function renameIds(svg: string, prefix: string): string {
  // Only inside tags: text content may hold user text such as ' id="x"', which must stay as it is.
  const TAG = /<[A-Za-z][^>]*>/g;
  const renamed = new Map<string, string>();
  for (const tag of svg.match(TAG) ?? []) {
    const m = /\sid="([^"]+)"/.exec(tag);
    if (m && !renamed.has(m[1])) renamed.set(m[1], `${prefix}${m[1].replace(/_?\d+$/, '')}${renamed.size}`);
  }
  if (renamed.size === 0) return svg;
  const swap = (all: string, id: string, make: (to: string) => string) => {
    const to = renamed.get(id);
    return to === undefined ? all : make(to);
  };
  return svg.replace(TAG, (tag) =>
    tag
      .replace(/(\sid=")([^"]+)"/, (all, head: string, id: string) => swap(all, id, (to) => `${head}${to}"`))
      .replace(/url\(#([^)]+)\)/g, (all, id: string) => swap(all, id, (to) => `url(#${to})`))
      .replace(/(href=")#([^"]+)"/g, (all, head: string, id: string) => swap(all, id, (to) => `${head}#${to}"`)),
  );
}

/**
 * Renders a Vega-Lite spec to an SVG string: compiled to Vega with vega-lite, then drawn by a headless vega View
 * (no DOM, no canvas; text widths are estimated). Runs in Node and in browsers.
 *
 * @example
 * const svg = await renderSvg(chartSpecs({ profiles }).sizes, { idPrefix: 'sizes-' });
 */
export async function renderSvg(spec: TopLevelSpec, options: RenderSvgOptions = {}): Promise<string> {
  const o = { ...DEFAULTS, ...options };
  if (typeof o.idPrefix !== 'string' || (o.idPrefix !== '' && !/^[A-Za-z][\w-]*$/.test(o.idPrefix))) {
    throw badOption('idPrefix', o.idPrefix, 'a string of letters, digits, "-" or "_" starting with a letter');
  }
  if (!spec || typeof spec !== 'object') throw badOption('spec', spec, 'a Vega-Lite spec object');
  const [, { compile }] = await loadEngines();
  let vgSpec;
  try {
    vgSpec = compile(withoutLineSeparators(spec)).spec;
  } catch (err) {
    throw new SegkitError('E_BAD_OPTION', `the Vega-Lite spec does not compile: ${(err as Error).message}`, undefined, { cause: err });
  }
  return drawVega(vgSpec, o.idPrefix);
}

async function drawVega(vgSpec: import('vega').Spec, idPrefix: string): Promise<string> {
  const [{ View, parse, loader }, , { expressionInterpreter }] = await loadEngines();
  // expressions are parsed to syntax trees and interpreted, never compiled with new Function: edge runtimes and
  // pages with a strict Content-Security-Policy forbid run-time code generation
  const view = new View(parse(vgSpec, undefined, { ast: true }), { renderer: 'none', loader: offlineLoader(loader), expr: expressionInterpreter });
  try {
    return renameIds(await view.toSVG(), idPrefix);
  } finally {
    view.finalize();
  }
}

/** Renders a Vega spec (for charts Vega-Lite has no mark for, such as a Sankey) to SVG, as `renderSvg` does. */
export async function renderVegaSvg(spec: import('vega').Spec, options: RenderSvgOptions = {}): Promise<string> {
  const o = { ...DEFAULTS, ...options };
  if (typeof o.idPrefix !== 'string' || (o.idPrefix !== '' && !/^[A-Za-z][\w-]*$/.test(o.idPrefix))) {
    throw badOption('idPrefix', o.idPrefix, 'a string of letters, digits, "-" or "_" starting with a letter');
  }
  if (!spec || typeof spec !== 'object') throw badOption('spec', spec, 'a Vega spec object');
  return drawVega(withoutLineSeparators(spec), o.idPrefix);
}
