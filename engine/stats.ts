/**
 * What work costs, counted since the process started: kernel launches (a WebGPU dispatch, or a
 * kernel run by the cpu backend), submits of recorded work to the device, and reads back to the
 * host. Benches and users subtract two snapshots to see what one step costs.
 */
export interface Stats {
  dispatches: number;
  submits: number;
  reads: number;
}

const counts: Stats = { dispatches: 0, submits: 0, reads: 0 };

export function countDispatch(): void {
  counts.dispatches++;
}

export function countSubmit(): void {
  counts.submits++;
}

export function countRead(): void {
  counts.reads++;
}

/** A snapshot of the counters (all backends together). */
export function stats(): Stats {
  return { ...counts };
}
