/** Output of a command: lines for people, or a JSON document with --json. */
export interface Out {
  line(text: string): void;
  json(value: unknown): void;
}

/** A refusal the CLI prints as one line and exits 1 for (no stack trace). */
export class CliError extends Error {}
