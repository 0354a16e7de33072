import { type Parser, Refused } from './environment.js';

/** An integer within bounds: `must be an integer<unit>`, `must not be less than`, `must not be greater than`. */
export function integer(bounds: { min: number; max: number; unit?: string }): Parser<number> {
  return (text, name) => {
    const value = /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(value)) return new Refused(`${name} must be an integer${bounds.unit ? ` (${bounds.unit})` : ''}`);
    if (value < bounds.min) return new Refused(`${name} must not be less than ${bounds.min}`);
    if (value > bounds.max) return new Refused(`${name} must not be greater than ${bounds.max}`);
    return value;
  };
}

/** One of the words given, exactly as written. */
export function oneOf<const W extends string>(words: readonly W[], problem?: (name: string) => string): Parser<W> {
  return (text, name) =>
    (words as readonly string[]).includes(text)
      ? (text as W)
      : new Refused(problem ? problem(name) : `${name} must be one of the following values: ${words.join(', ')}`);
}

export const trueOrFalse: Parser<boolean> = (text, name) =>
  text === 'true' ? true : text === 'false' ? false : new Refused(`${name} must be true or false`);

/** Any text. */
export const anyText: Parser<string> = (text) => text;

/** Text that matches `pattern`, taken as is. */
export function matching(pattern: RegExp, problem: (name: string) => string): Parser<string> {
  return (text, name) => (pattern.test(text) ? text : new Refused(problem(name)));
}

/** A number of bytes, and as the operator wrote it (lower-cased, without spaces), for messages. */
export interface ByteSize {
  bytes: number;
  text: string;
}

const UNIT_BYTES = { b: 1, kb: 1024, mb: 1024 * 1024 } as const;

/** A size (`256kb`, `1 MB`, `512b`, `4096`; k and m are 1024s) in bytes, or undefined. */
function parseByteSize(size: string): ByteSize | undefined {
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(size);
  if (!match) return undefined;
  const unit = (match[2]?.toLowerCase() ?? 'b') as keyof typeof UNIT_BYTES;
  return { bytes: Number(match[1]) * UNIT_BYTES[unit], text: size.replace(/\s+/g, '').toLowerCase() };
}

export const byteSize: Parser<ByteSize> = (text, name) => parseByteSize(text) ?? new Refused(`${name} must be a size such as 256kb or 1mb`);

/** A size written in the code (`10kb`), as WEBHOOK_BODY_LIMIT would give it. */
export function byteSizeOf(size: string): ByteSize {
  const parsed = parseByteSize(size);
  if (!parsed) throw new Error(`not a size: ${size}`);
  return parsed;
}

const DURATION = /^(\d{1,9})\s*(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
/** Thirty days: longer than any schedule or TTL a storefront means. */
const MAX_DURATION_MS = 30 * 24 * 3_600_000;

interface DurationRules {
  /** `0` means off (the default). */
  allowZero?: boolean;
  /** In ms; thirty days unless given. */
  max?: number;
}

/** A duration (`30m`, `2h`, `500ms`; `0` for off where allowed) in ms. */
export function duration(rules: DurationRules = {}): Parser<number> {
  const max = rules.max ?? MAX_DURATION_MS;
  return (text, name) => {
    const trimmed = text.trim().toLowerCase();
    if (trimmed === '0' && rules.allowZero !== false) return 0;
    const match = DURATION.exec(trimmed);
    const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : NaN;
    if (match && ms > 0 && ms <= max) return ms;
    return new Refused(
      `${name} must be a duration such as 30s, 15m or 2h (ms, s, m, h)${rules.allowZero === false ? '' : ', or 0 for off'}, at most ${max / 1000} s (got "${text}")`,
    );
  };
}

/** Comma-separated durations, each checked on its own (one problem per bad one). */
export function durations(rules: DurationRules = {}): Parser<number[]> {
  const one = duration(rules);
  return (text, name) => {
    const read = text.split(',').map((step) => one(step, name));
    const refused = read.filter((step): step is Refused => step instanceof Refused);
    return refused.length > 0 ? new Refused(...refused.flatMap((r) => r.problems)) : (read as number[]);
  };
}

/** Comma-separated entries, trimmed, empty ones left out. */
export function listOf(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
