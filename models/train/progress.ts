import * as fg from '../../index.js';
import { checkInt } from '../model.js';
/** Where progress goes: a stream-like sink; on a terminal (isTTY) one line is redrawn as a bar. */
export interface ProgressSink {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressState {
  epoch: number;
  epochs: number;
  /** batch within the epoch, and batches per epoch */
  batch: number;
  batches: number;
  step: number;
  loss: number;
  valLoss?: number;
  valAccuracy?: number;
  stepsPerSecond: number;
}

const num = (v: number) => (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3));

/** One plain line: epoch, step, losses, accuracy, rate. */
const STATE_KEYS = ['epoch', 'epochs', 'batch', 'batches', 'step', 'loss', 'stepsPerSecond'] as const;

function checkState(who: string, s: ProgressState): void {
  const bad = !s || typeof s !== 'object' ? 'it' : STATE_KEYS.find((k) => typeof s[k] !== 'number');
  if (bad) throw new fg.ArgumentError(`${who}: the progress state needs numbers ${STATE_KEYS.join(', ')}; ${bad === 'it' ? `got ${String(s)}` : `${bad} is ${String(s[bad])}`}`);
}

export function formatLine(s: ProgressState, bar?: string): string {
  checkState('formatLine', s);
  const parts = [`epoch ${s.epoch}/${s.epochs}`, `step ${s.step}`, `loss ${num(s.loss)}`];
  if (bar !== undefined) parts.splice(1, 0, `${bar} ${s.batch}/${s.batches}`);
  if (s.valLoss !== undefined) parts.push(`val ${num(s.valLoss)}`);
  if (s.valAccuracy !== undefined) parts.push(`acc ${(100 * s.valAccuracy).toFixed(1)}%`);
  parts.push(`${s.stepsPerSecond.toFixed(s.stepsPerSecond < 10 ? 2 : 0)} steps/s`);
  return parts.join('  ');
}

/** The line with a bar of the epoch's batches: "epoch 3/20  [████░░░░] 45/60  step …". */
export function formatBar(s: ProgressState, width = 20): string {
  checkState('formatBar', s);
  checkInt('formatBar', 'width', width, 0);
  const frac = s.batches ? Math.min(1, s.batch / s.batches) : 0;
  const full = Math.round(frac * width);
  return formatLine(s, `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`);
}

/** A progress display: a bar redrawn in place on a terminal, one plain line per epoch otherwise. */
export class Progress {
  private drawn = false;
  constructor(private readonly sink: ProgressSink | null) {}

  /** during an epoch (only drawn on a terminal) */
  update(s: ProgressState): void {
    if (!this.sink?.isTTY) return;
    this.sink.write(`\r\x1b[2K${formatBar(s)}`);
    this.drawn = true;
  }

  /** at the end of an epoch: its line stays (one line per epoch; on a terminal the bar redrawn in place until then) */
  epoch(s: ProgressState): void {
    if (!this.sink) return;
    if (this.sink.isTTY) {
      this.update(s);
      this.finish();
    } else this.sink.write(`${formatLine(s)}\n`);
  }

  /** a message on its own line (the bar, if any, is finished first) */
  message(text: string): void {
    if (!this.sink) return;
    this.finish();
    this.sink.write(`${text}\n`);
  }

  finish(): void {
    if (this.drawn) this.sink?.write('\n');
    this.drawn = false;
  }
}

/** The default sink: standard error in Node, nothing elsewhere. */
export function defaultSink(): ProgressSink | null {
  const proc = (globalThis as { process?: { stderr?: ProgressSink } }).process;
  return proc?.stderr ?? null;
}
