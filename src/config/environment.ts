/**
 * The environment as the service reads it at boot, and how a setting is
 * declared: once, with its variable(s), what it means, its default and its
 * parser. The declaration gives the typed value, the boot error's lines and
 * README's row (test/unit/app-config.unit.ts checks the table against it).
 */

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** What a parser answers for text it does not take: each line of the boot error it causes. */
export class Refused {
  readonly problems: string[];
  constructor(...problems: string[]) {
    this.problems = problems;
  }
}

/** A value parser: the text of a set variable (never empty) and the variable's name, to the value or a refusal. */
export type Parser<T> = (text: string, name: string) => T | Refused;

/** README's row of a setting: the variables it reads, what they do, what applies when they are unset. */
export interface Documented {
  readonly variables: readonly string[];
  readonly meaning: string;
  readonly byDefault: string;
}

/** What a default may depend on. */
export interface DefaultsContext {
  nodeEnv: 'development' | 'production' | 'test';
}

/** A setting: its README row, and how its value is read (problems go to `env`). */
export interface Setting<T> extends Documented {
  read(env: Environment, context: DefaultsContext): T;
}

export type ValueOf<S> = S extends Setting<infer T> ? T : never;

/**
 * The process environment, read once: a variable set to the empty string
 * counts as unset. Every problem found is kept, so that `check` names them
 * all in one error rather than the first one only.
 */
export class Environment {
  private readonly set: ReadonlyMap<string, string>;
  private readonly problems: string[] = [];

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.set = new Map(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''));
  }

  /** A variable's text, undefined when unset or empty. */
  text(name: string): string | undefined {
    return this.set.get(name);
  }

  /** Every set variable, for settings whose variables carry a name (WEBHOOK_<NAME>_SECRET). */
  entries(): IterableIterator<[string, string]> {
    return this.set.entries();
  }

  refuse(...problems: string[]): void {
    this.problems.push(...problems);
  }

  /** The parsed value, or undefined after recording why not. */
  parse<T>(name: string, text: string, parser: Parser<T>): T | undefined {
    const value = parser(text, name);
    if (!(value instanceof Refused)) return value;
    this.refuse(...value.problems);
    return undefined;
  }

  /** Throws one ConfigError naming every problem found so far. */
  check(): void {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }
}

/**
 * One variable. `default` is text read by the same parser (so README's
 * default and the value agree), a function of the context, or absent: the
 * value is then undefined when the variable is unset.
 */
export function variable<T>(declaration: {
  name: string;
  meaning: string;
  parse: Parser<T>;
  default: string | ((context: DefaultsContext) => T);
  byDefault?: string;
}): Setting<T>;
export function variable<T>(declaration: { name: string; meaning: string; parse: Parser<T>; byDefault: string }): Setting<T | undefined>;
export function variable<T>(declaration: {
  name: string;
  meaning: string;
  parse: Parser<T>;
  default?: string | ((context: DefaultsContext) => T);
  byDefault?: string;
}): Setting<T | undefined> {
  const { name, meaning, parse } = declaration;
  const given = declaration.default;
  let fallback: (context: DefaultsContext) => T | undefined = () => undefined;
  if (typeof given === 'string') {
    const value = parse(given, name);
    if (value instanceof Refused) throw new Error(`${name}'s default ${given} does not parse: ${value.problems.join('; ')}`);
    fallback = () => value;
  } else if (given) {
    fallback = given;
  }
  return {
    variables: [name],
    meaning,
    byDefault: declaration.byDefault ?? `\`${String(given)}\``,
    read(env, context) {
      const text = env.text(name);
      if (text === undefined) return fallback(context);
      const value = env.parse(name, text, parse);
      return value === undefined ? fallback(context) : value;
    },
  };
}

/** The values of a table of settings, read in its order (NODE_ENV first: defaults depend on it). */
export function readSettings<S extends Record<string, Setting<unknown>>>(
  settings: S,
  env: Environment,
  context: (values: Partial<{ [K in keyof S]: ValueOf<S[K]> }>) => DefaultsContext,
): { [K in keyof S]: ValueOf<S[K]> } {
  const values: Partial<{ [K in keyof S]: ValueOf<S[K]> }> = {};
  for (const key of Object.keys(settings) as (keyof S)[]) {
    values[key] = settings[key].read(env, context(values)) as ValueOf<S[typeof key]>;
  }
  return values as { [K in keyof S]: ValueOf<S[K]> };
}
