/**
 * Back-pressure for loops that never read. Ops record and submit without waiting, and Dawn
 * frees what a submit holds (its commands, the driver's copies of them) only once the device
 * has finished it. A training loop that never reads can record faster than a software driver
 * runs: the queue, and the process's memory with it, then grew without bound (an MLP loop on
 * lavapipe was 8 s behind after 4000 steps) while fg.memory() stayed flat.
 *
 * Ops are synchronous and a JS thread cannot wait for the device synchronously: work-done
 * promises resolve only when the event loop turns. So the bound is kept by pacing: when more
 * than MAX_AHEAD dispatches may still be queued, a submit sleeps (Atomics.wait: the thread
 * blocks without spinning and leaves the cores to the driver) for about as long as the device
 * needs to run what it submits. Where the device is comes from work-done probes (one in
 * flight at a time once a backlog builds, resolved whenever the loop yields) and from reads,
 * its speed from reads; a loop that never yields is paced by the speed last learned (at first
 * a software driver's).
 * Loops that read or yield often never come near the bound and never sleep.
 */
/**
 * What Atomics.wait sleeps on, in Node only: a browser's main thread may not block (there the
 * event loop turns every frame and the browser bounds its own GPU queue).
 */
const sleepCell = typeof process !== 'undefined' && !!process.versions?.node && typeof SharedArrayBuffer !== 'undefined' ? new Int32Array(new SharedArrayBuffer(4)) : null;

export class Backlog {
  /** dispatches that may be queued before submits are paced (a few MB of driver memory) */
  static readonly MAX_AHEAD = 2048;
  /** the longest one submit sleeps */
  private static readonly MAX_SLEEP_MS = 50;
  private submitted = 0;
  /** dispatches the device is known to have finished */
  private done = 0;
  /**
   * device milliseconds per dispatch, learned from reads; until then lavapipe's on a busy
   * 2-core machine (0.08–0.13 measured), erring slow: pacing too little lets the queue grow
   */
  private msPerDispatch = 0.15;
  private probing = false;
  /** a pipeline was compiled since the last read: that read's wait says nothing about speed */
  private compiled = false;

  constructor(private readonly queue: GPUQueue) {}

  /** After a submit of `dispatches`: sleeps while too much may be queued, and keeps a probe out. */
  submit(dispatches: number): void {
    this.submitted += dispatches;
    const ahead = this.submitted - this.done;
    // no probe while little is queued: a pending one makes Dawn's bindings poll the device
    if (!this.probing && ahead >= Backlog.MAX_AHEAD / 4) this.probe();
    if (ahead > Backlog.MAX_AHEAD && sleepCell) {
      const ms = Math.min(Backlog.MAX_SLEEP_MS, Math.max(1, dispatches * this.msPerDispatch));
      Atomics.wait(sleepCell, 0, 0, ms);
      // what the device ran meanwhile, as far as its speed says (a probe will tell exactly)
      this.done = Math.min(this.submitted, this.done + ms / this.msPerDispatch);
    }
  }

  /**
   * A read waited `ms` for every submitted dispatch to finish: where the device stood then
   * teaches its speed (a read maps at once when the work is done, unlike a probe).
   */
  drained(ms: number): void {
    const left = this.submitted - this.done;
    if (left >= Backlog.MAX_AHEAD / 8 && !this.compiled) this.msPerDispatch = 0.7 * this.msPerDispatch + 0.3 * (ms / left);
    this.done = this.submitted;
    this.compiled = false;
  }

  /** A pipeline was compiled (drivers may compile while earlier work runs). */
  pipelineCompiled(): void {
    this.compiled = true;
  }

  private probe(): void {
    const upTo = this.submitted;
    this.probing = true;
    this.queue.onSubmittedWorkDone().then(
      () => {
        this.probing = false;
        // where the device is at least; not how fast it runs: a probe resolves when the loop
        // yields, possibly long after the device got there (learning a speed from probes made
        // a loop that yielded rarely pace itself by its own pace, ever slower)
        this.done = Math.max(this.done, upTo);
      },
      () => {
        this.probing = false; // a lost device is reported by the next op
      },
    );
  }
}
