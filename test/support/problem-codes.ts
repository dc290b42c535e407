import { readFileSync } from 'node:fs';

/** Every problem code docs/http-problems.md documents (each written in backticks). */
export function documentedProblemCodes(): Set<string> {
  const text = readFileSync(new URL('../../docs/http-problems.md', import.meta.url), 'utf8');
  return new Set([...text.matchAll(/`([a-z_]+(?:\.[a-z_]+)+|internal)`/g)].map((m) => m[1]));
}
