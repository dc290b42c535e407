import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsString, ValidateBy } from 'class-validator';

/**
 * Characters a name or free-text field must not hold: C0 and C1 controls (NUL breaks PostgreSQL
 * text columns, ESC sequences repaint a terminal that prints the value), the bidirectional
 * embeddings, overrides and isolates U+202A-U+202E and U+2066-U+2069 (an RLO makes
 * "Eve<RLO>gnp.exe" render as "Eveexe.png"; Unicode TR #9 section 2 and the "Trojan Source"
 * advisory CVE-2021-42574), the line and paragraph separators U+2028/U+2029, and lone surrogates,
 * which are not text at all and cannot be stored as UTF-8. Tab, CR and LF are controls too: these
 * fields are single-line.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/** Why a value is not acceptable plain text, or null when it is. Pure, for the table test. */
export function plainTextProblem(value: unknown): 'not_string' | 'blank' | 'forbidden_character' | null {
  if (typeof value !== 'string') return 'not_string';
  if (FORBIDDEN.test(value)) return 'forbidden_character';
  // \s covers the Unicode spaces (NBSP, ideographic space, ...); a name of only those is blank.
  if (/^[\s\u200b-\u200d\u2060\ufeff]*$/u.test(value)) return 'blank';
  return null;
}

/** NFC, so the same name typed on two keyboards (precomposed or combining accent) is one string. */
export function normalisePlainText(value: unknown): unknown {
  return typeof value === 'string' ? value.normalize('NFC') : value;
}

/**
 * A single-line human text field (names, labels, reasons): normalised to NFC, refused when blank
 * or holding control or bidirectional-control characters, with a per-field problem that names the
 * rule, never the value.
 */
export function PlainText(): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => normalisePlainText(value)),
    IsString(),
    ValidateBy({
      name: 'plainText',
      validator: {
        validate: (value: unknown) => plainTextProblem(value) === null,
        defaultMessage: (args) => {
          const problem = plainTextProblem(args?.value);
          return problem === 'blank' ? `${args?.property} must not be blank` : `${args?.property} must not contain control or bidirectional-control characters`;
        },
      },
    }),
  );
}
