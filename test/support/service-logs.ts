import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';

export interface LogLine {
  level: number;
  msg: string;
  context?: string;
  [field: string]: unknown;
}

/** pino's levels: 50 is error, 60 fatal. */
const ERROR = 50;

export interface ServiceLogs {
  /** The error lines logged since the last call (after the logger's pending lines are written), taken off the record. */
  errors(): Promise<LogLine[]>;
}

/** The logger writes its lines once per turn of the event loop (src/logging/logger.ts): let that turn pass. */
const written = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The service's log lines while a describe block runs, held here instead of printed: a test that
 * provokes an error asserts the line it expects, and a passing run prints none. Every app a test
 * starts in this process writes its JSON lines to process.stdout (src/logging/logger.ts); lines of
 * the service are taken there, anything else written passes through. After each test, an error line
 * that no test took fails it, with the line: errors are asserted, never left to scroll by.
 */
export function useServiceLogs(): ServiceLogs {
  const lines: LogLine[] = [];
  const write = process.stdout.write.bind(process.stdout);

  beforeAll(() => {
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const passed = chunk
        .toString()
        .split(/(?<=\n)/)
        .filter((text) => {
          const line = serviceLine(text);
          if (line !== undefined) lines.push(line);
          return line === undefined;
        })
        .join('');
      return passed === '' ? true : (write as (text: string, ...more: unknown[]) => boolean)(passed, ...rest);
    });
  });
  afterEach(async () => {
    await written();
    const unasserted = lines.filter((line) => line.level >= ERROR);
    lines.length = 0;
    if (unasserted.length > 0) throw new Error(`error lines no test asserted:\n${unasserted.map((line) => JSON.stringify(line)).join('\n')}`);
  });
  afterAll(async () => {
    await written();
    process.stdout.write = write;
  });

  return {
    async errors() {
      await written();
      const taken = lines.filter((line) => line.level >= ERROR);
      lines.length = 0;
      return taken;
    },
  };
}

function serviceLine(text: string): LogLine | undefined {
  if (!text.startsWith('{"level":')) return undefined;
  try {
    const line = JSON.parse(text) as LogLine & { service?: string };
    return line.service === 'shelfsync' ? line : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The two error lines of a delivery that failed unexpectedly (answered 500): its delivery line, then
 * the error that failed it, with its stack.
 */
export function failedDelivery(eventId: unknown, error: RegExp): unknown[] {
  return [
    expect.objectContaining({ msg: 'delivery', outcome: 'failed', event_id: eventId }),
    expect.objectContaining({ context: 'HTTP', msg: expect.stringMatching(error) }),
  ];
}
