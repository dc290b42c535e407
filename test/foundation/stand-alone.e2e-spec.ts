import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/**
 * The repository must stand alone (issue 22): a newcomer can follow every reference a comment or
 * a README makes. Facts live under docs/ with their public sources, so nothing tracked may point at
 * documents outside the repository, and every "(<page>.md §<section>)" citation must name a page
 * and a heading that exist.
 */

const tracked = (): string[] =>
  execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    .split('\0')
    .filter((f) => f !== '' && f !== 'package-lock.json');

/** Text content, or undefined for binary files and files listed but absent from the work tree. */
function text(file: string): string | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  return buf.subarray(0, 8000).includes(0) ? undefined : buf.toString('utf8');
}

// Assembled from pieces so this file does not match its own patterns.
const A = 'anch' + 'ors';
const SHARED = 'shared' + '/';
const FORBIDDEN: { name: string; re: RegExp }[] = [
  { name: `${A} §…`, re: new RegExp(`\\b${A}\\s*§`) },
  { name: `${A} <section letter><digit>`, re: new RegExp(`\\b${A}\\s+[A-C]\\d`) },
  { name: `reliability ${A}`, re: new RegExp(`reliability\\s+${A}`, 'i') },
  { name: 'reliability <section letter><digit>', re: new RegExp('\\[' + 'reliability [A-C]\\d') },
  { name: `${SHARED}reference`, re: new RegExp(`${SHARED}reference`) },
  { name: `${SHARED}design`, re: new RegExp(`${SHARED}design`) },
  { name: 'a research notes file', re: new RegExp(`(access-control|reliability-performance|style)-${A}`) },
];

/** Headings of a markdown file, without the leading #s. */
function headings(markdown: string): string[] {
  return [...markdown.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]);
}

/** Comment continuation markers removed, so a citation wrapped over two lines reads as one. */
const unwrap = (s: string): string => s.replace(/\s*\n\s*(?:\*(?!\/)|\/\/)?\s*/g, ' ');

const wordEnd = (s: string): boolean => !/^[\p{L}\p{N}]/u.test(s);

/**
 * Whether the text after "§" names heading `h`: the whole heading ("§Flows, enrolment: ..."), or
 * its opening words up to the first punctuation ("§Sequencing" for "Sequencing, buffering, ...").
 */
function names(cited: string, h: string): boolean {
  if (cited.startsWith(h) && wordEnd(cited.slice(h.length))) return true;
  const lead = cited.split(/[),;.:\]]/)[0].trim();
  return lead.length > 0 && h.startsWith(lead) && wordEnd(h.slice(lead.length));
}

interface Citation {
  at: string;
  page: string;
  section: string;
}

/**
 * Every "§Section" whose nearest preceding markdown path (within the same stretch of text) is a
 * tracked file. Other § uses (RFC 1122 §4.2.3.2, "§2.5.1.1" of a standard) are not page citations.
 */
function citations(files: Set<string>): Citation[] {
  const out: Citation[] = [];
  for (const file of files) {
    const body = text(file);
    if (body === undefined || !body.includes('§')) continue;
    for (const m of body.matchAll(/§/g)) {
      const before = body.slice(Math.max(0, m.index - 300), m.index);
      const paths = [...before.matchAll(/((?:[\w.-]+\/)*[\w.-]+\.md)\b/g)];
      const page = paths.at(-1)?.[1];
      if (page === undefined || !files.has(page)) continue;
      // A sentence end or a paragraph break between the path and the § means they are unrelated.
      const between = before.slice(paths.at(-1)!.index + page.length);
      if (/\n\s*\n|\]\(/.test(between)) continue;
      const line = body.slice(0, m.index).split('\n').length;
      out.push({ at: `${file}:${line}`, page, section: unwrap(body.slice(m.index + 1, m.index + 200)) });
    }
  }
  return out;
}

describe('the repository stands alone', () => {
  it('no tracked file refers to documents outside the repository', () => {
    const hits: string[] = [];
    for (const file of tracked()) {
      const body = text(file);
      if (body === undefined) continue;
      body.split('\n').forEach((line, i) => {
        for (const f of FORBIDDEN) if (f.re.test(line)) hits.push(`${file}:${i + 1} ${f.name}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('every "<page>.md §Section" citation names an existing page and heading', () => {
    const files = new Set(tracked());
    const found = citations(files);
    // The docs pages are cited from the code; finding none means the scan itself is broken.
    expect(found.filter((c) => c.page.startsWith('docs/')).length).toBeGreaterThan(50);
    const cache = new Map<string, string[]>();
    const broken = found
      .filter((c) => {
        if (!cache.has(c.page)) cache.set(c.page, headings(readFileSync(c.page, 'utf8')));
        return !cache.get(c.page)!.some((h) => names(c.section, h));
      })
      .map((c) => `${c.at} ${c.page} §${c.section.slice(0, 60)}`);
    expect(broken).toEqual([]);
  });

  it('docs/README.md indexes every page under docs/', () => {
    const pages = tracked().filter((f) => /^docs\/[^/]+\.md$/.test(f) && f !== 'docs/README.md');
    expect(pages.length).toBeGreaterThan(0);
    const index = readFileSync('docs/README.md', 'utf8');
    expect(pages.filter((p) => !index.includes(`(${p.slice('docs/'.length)})`))).toEqual([]);
  });
});
