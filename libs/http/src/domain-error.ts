/**
 * An error with a stable, machine-readable code. Domain code throws these (never Nest HTTP
 * exceptions) so the same failure can be mapped at each edge: problem+json over HTTP, a NACK or
 * log entry on MQTT and serial. Messages must not contain personal data.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id?: string) {
    super(`${what.toLowerCase().replace(/\s+/g, '_')}.not_found`, `${what} not found`, 404, id ? { id } : {});
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string, extra: Record<string, unknown> = {}) {
    super(code, message, 409, extra);
  }
}
