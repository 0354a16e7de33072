import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { LineBatcher } from '../../src/logging/logger.js';

/** An output that records each write it is given. */
function recorder() {
  const writes: string[] = [];
  return { writes, out: { write: (text: string) => writes.push(text) } };
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('LineBatcher (the log lines of one turn of the event loop, written in one call)', () => {
  it('writes the lines of one turn together, in order, once the turn is over', async () => {
    const { writes, out } = recorder();
    const lines = new LineBatcher(out);
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(writes).toEqual([]);
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n']);
    lines.write('d\n');
    await nextTurn();
    expect(writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('writes at once when 64 KB wait, so a burst never piles up in memory', () => {
    const { writes, out } = recorder();
    const lines = new LineBatcher(out);
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 64; i++) lines.write(line);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toHaveLength(64 * 1024);
    lines.write('tail\n');
    lines.flush();
    expect(writes[1]).toBe('tail\n');
  });

  it('flush() writes nothing when nothing waits, and what pino logs arrives whole, one JSON object a line', async () => {
    const { writes, out } = recorder();
    const lines = new LineBatcher(out);
    lines.flush();
    expect(writes).toEqual([]);
    const logger = pino({ base: null, timestamp: false }, lines);
    logger.info({ event_id: 'evt_1' }, 'delivery');
    logger.warn({ event_id: 'evt_2' }, 'delivery');
    await nextTurn();
    expect(writes).toHaveLength(1);
    expect(writes[0].trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { level: 30, event_id: 'evt_1', msg: 'delivery' },
      { level: 40, event_id: 'evt_2', msg: 'delivery' },
    ]);
  });
});
