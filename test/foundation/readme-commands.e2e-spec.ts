import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/**
 * The README's acsctl table is what a newcomer reads: every command the built CLI offers must be
 * in it (the e2e global setup builds dist/ first).
 */
describe('README acsctl table', () => {
  it('lists every command of the built acsctl', () => {
    const help = execFileSync(process.execPath, ['dist/apps/cli/src/main.js', '--help'], { encoding: 'utf8' });
    const commands = [...help.split('Commands:')[1].matchAll(/^ {2}([a-z][a-z:-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands.length).toBeGreaterThan(8);
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## acsctl'), readme.indexOf('\n## ', readme.indexOf('## acsctl') + 3));
    const listed = new Set([...section.matchAll(/^\| `([a-z][a-z:-]*)/gm)].flatMap((m) => [m[1]]));
    // `migration:run` / `migration:revert` share a row.
    for (const m of section.matchAll(/` \/ `([a-z][a-z:-]*)/g)) listed.add(m[1]);
    expect(commands.filter((c) => !listed.has(c))).toEqual([]);
  });
});
