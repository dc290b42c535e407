import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AppConfig, loadConfig, OPTIONAL_SETTINGS } from './app-config.js';

// .env.example documents every variable with its default; this keeps the two from drifting.
describe('.env.example', () => {
  const text = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
  const documented = new Map<string, string | undefined>();
  for (const line of text.split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]+)=(\S*)/.exec(line);
    if (m) documented.set(m[1], m[2] === '' ? undefined : m[2]);
  }

  it('names every configuration variable', () => {
    const known = Object.keys(new AppConfig()).concat(OPTIONAL_SETTINGS);
    expect(known.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('shows the real defaults', () => {
    const defaults = loadConfig({}) as unknown as Record<string, unknown>;
    const wrong = [...documented].filter(([k, v]) => v !== undefined && k in defaults && String(defaults[k]) !== v && !text.includes(`# ${k}=`));
    expect(wrong).toEqual([]);
  });
});
