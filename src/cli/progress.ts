import cliProgress from 'cli-progress';

/** One step's bar; every method is a no-op when progress is off. */
export interface ProgressBar {
  update(value: number, detail?: string): void;
  setTotal(total: number): void;
  /** Removes the bar from the terminal. */
  stop(): void;
}

const SILENT: ProgressBar = Object.freeze({ update() {}, setTotal() {}, stop() {} });

export type ProgressUnit = 'bytes' | 'count';

function bytes(v: number): string {
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let u = 0;
  while (x >= 1024 && u < units.length - 1) {
    x /= 1024;
    u++;
  }
  return `${x.toFixed(x >= 100 ? 0 : 1)} ${units[u]}`;
}

/**
 * Progress bars on stderr, one step at a time. Off when stderr is not a terminal (pipes, CI logs, tests)
 * or with --quiet, so machine-read output is never interleaved with bar redraws.
 */
export class Progress {
  readonly enabled: boolean;
  readonly #stream: NodeJS.WriteStream;
  #active: cliProgress.SingleBar | undefined;

  constructor(quiet: boolean, stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = !quiet && stream.isTTY === true;
    this.#stream = stream;
  }

  /** Starts a bar titled `label` with `total` steps (bytes are shown as sizes). */
  start(label: string, total: number, unit: ProgressUnit = 'count'): ProgressBar {
    if (!this.enabled) return SILENT;
    this.stop();
    const format = unit === 'bytes'
      ? `${label} [{bar}] {percentage}% | {done} of {all} | ETA {eta_formatted} {detail}`
      : `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} {detail}`;
    const bar = new cliProgress.SingleBar(
      { format, stream: this.#stream, clearOnComplete: true, barsize: 30, fps: 10, etaBuffer: 20 },
      cliProgress.Presets.shades_classic,
    );
    let all = Math.max(1, total);
    const payload = (value: number, detail = '') => (unit === 'bytes' ? { done: bytes(value), all: bytes(all), detail } : { detail });
    bar.start(all, 0, payload(0));
    this.#active = bar;
    let stopped = false;
    return {
      update: (value, detail) => {
        if (!stopped) bar.update(value, payload(value, detail));
      },
      setTotal: (t) => {
        if (stopped) return;
        all = Math.max(1, t);
        bar.setTotal(all);
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        bar.stop();
        if (this.#active === bar) this.#active = undefined;
      },
    };
  }

  /** Stops whatever bar is showing (before printing, and on exit). */
  stop(): void {
    this.#active?.stop();
    this.#active = undefined;
  }
}
