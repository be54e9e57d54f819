/**
 * Where the service reads the time: exposures, event receipt, lifecycle stamps, "days running".
 * In production it is the system clock. With VERDICT_DEMO_CLOCK=1 it is a demo clock an admin
 * may set (PUT /v1/demo/clock), so a simulation can run an experiment's weeks in seconds
 * (`npm run demo`). The demo clock keeps ticking from where it was set (an offset from the
 * system clock); it is per process, for demos and tests, never for a deployment serving people.
 */
export interface Clock {
  now(): Date;
  /** Whether it can be set (VERDICT_DEMO_CLOCK). */
  readonly settable: boolean;
  /** Set the time (demo clock only): it then keeps ticking from there. */
  set(at: Date): void;
  /** Milliseconds between this clock and the system clock. */
  offsetMs(): number;
}

export const systemClock: Clock = {
  now: () => new Date(),
  settable: false,
  set() {
    throw new Error('the system clock cannot be set; start with VERDICT_DEMO_CLOCK=1 for a demo clock');
  },
  offsetMs: () => 0,
};

export function demoClock(): Clock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    settable: true,
    set(at: Date) {
      offset = at.getTime() - Date.now();
    },
    offsetMs: () => offset,
  };
}
