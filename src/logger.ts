import pino from 'pino';

/** Structured JSON logs (pino), one line per event; each request's lines carry its id. */
export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'verdict' }, timestamp: pino.stdTimeFunctions.isoTime });
}
