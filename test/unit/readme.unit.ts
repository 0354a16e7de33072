import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';

const readme = readFileSync('README.md', 'utf8');
/** README's opening, up to its first section: what a new user reads before installing. */
const opening = readme.slice(0, readme.indexOf('\n## '));

/**
 * Whether one alternative of an `engines.node` range (`>=22`, `^20.19.0`, `18`) can be
 * satisfied by Node 20: its lower bound is the first version it names.
 */
function admitsNode20(range: string): boolean {
  return range.split('||').some((alternative) => {
    const lowest = /(\d+)/.exec(alternative);
    return lowest === null || Number(lowest[1]) <= 20;
  });
}

describe('README', () => {
  it('names, where it says what `npm install` warns about on Node 20, every installed package that asks for Node 22', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } | string[]; os?: string[] }>;
    };
    const wanting22 = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.os === undefined)
      .filter(([, entry]) => !Array.isArray(entry.engines) && entry.engines?.node !== undefined && !admitsNode20(entry.engines.node))
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(wanting22.length).toBeGreaterThan(0);
    for (const name of wanting22) expect(opening).toContain(`\`${name}\``);
    const count = ['', 'one', 'two', 'three', 'four'][wanting22.length] ?? String(wanting22.length);
    expect(opening).toMatch(new RegExp(`\\b${count}\\b`));
  });

  it('cites no file by a path outside the repository', () => {
    const absoluteFiles = [...readme.matchAll(/`(\/[^`\s]*\.[a-z]{1,4})`/g)].map(([, path]) => path);
    expect(absoluteFiles).toEqual([]);
    expect(readme).not.toMatch(/\/(work|root|home)\//);
  });

  it.each([
    ['>=22', false],
    ['^22.0.0 || >=24', false],
    ['^20.19.0 || >=22.12.0', true],
    ['18 || 20 || >=22', true],
    ['>= 0.10', true],
  ])('reads the range %s as admitting Node 20: %s', (range, admits) => {
    expect(admitsNode20(range)).toBe(admits);
  });
});
