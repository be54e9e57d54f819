import { notFound } from '../../errors';
import type { Runtime } from '../../runtime';
import type { Handlers } from '../handlers';

/**
 * /v1/demo/clock: the settable clock of a server started with VERDICT_DEMO_CLOCK=1, so a
 * simulation runs weeks in seconds. Off (the default), the path answers 404 as if it did not exist.
 */
export function demoHandlers(rt: Runtime): Handlers {
  const clockOf = () => {
    if (!rt.clock.settable) throw notFound('the demo clock is off: this server reads the system clock (start it with VERDICT_DEMO_CLOCK=1 for demos and simulations)');
    return rt.clock;
  };
  const show = () => {
    const clock = clockOf();
    return { now: clock.now().toISOString(), offsetMs: Math.round(clock.offsetMs()) };
  };
  return {
    getDemoClock(_req, res) {
      res.json(show());
    },
    setDemoClock(req, res) {
      const { now } = req.body as { now: string };
      clockOf().set(new Date(now));
      res.json(show());
    },
  };
}
