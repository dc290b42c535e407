import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from './domain-error.js';
import { isConnectionError } from '@acs/database';

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId?: string;
  [extra: string]: unknown;
}

const STATUS_CODES: Record<number, string> = {
  400: 'http.bad_request',
  401: 'auth.unauthenticated',
  403: 'auth.forbidden',
  404: 'http.not_found',
  405: 'http.method_not_allowed',
  409: 'http.conflict',
  413: 'http.payload_too_large',
  415: 'http.unsupported_media_type',
  429: 'http.too_many_requests',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Builds the RFC 9457 problem document for any thrown value; never leaks stacks or SQL. */
export function toProblem(exception: unknown, requestId: string | undefined): ProblemDetails {
  if (exception instanceof DomainError) {
    return {
      type: `urn:acs:problem:${exception.code}`,
      title: TITLES[exception.status] ?? 'Error',
      status: exception.status,
      code: exception.code,
      detail: exception.message,
      requestId,
      ...exception.extra,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = STATUS_CODES[status] ?? (status >= 500 ? 'internal' : 'http.error');
    // Nest's own messages ("Cannot GET /x", body-parser's "request entity too large") are safe
    // to show; anything else from a 5xx is not.
    const response = exception.getResponse();
    let message =
      status < 500 ? (typeof response === 'string' ? response : String((response as { message?: unknown }).message ?? exception.message)) : undefined;
    // The router's "Cannot GET /path?query" repeats the caller's URL, which may hold a name or an
    // e-mail address typed into a query: say what happened without it.
    if (status === 404 && message?.startsWith('Cannot ')) message = 'no route matches this method and path';
    return {
      type: `urn:acs:problem:${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      code,
      ...(message ? { detail: message } : {}),
      requestId,
    };
  }
  const status = bodyParserStatus(exception);
  if (status) {
    const code = STATUS_CODES[status] ?? 'http.bad_request';
    return { type: `urn:acs:problem:${code}`, title: TITLES[status] ?? 'Bad Request', status, code, detail: bodyParserDetail(status), requestId };
  }
  // The database went away under this request (degraded mode, docs/failover.md): not a defect of
  // ours, and the caller should retry later. Reached when a step before the degraded-mode check
  // (the token or session lookup) needed the database.
  if (isConnectionError(exception)) {
    return {
      type: 'urn:acs:problem:service.degraded',
      title: TITLES[503] ?? 'Service Unavailable',
      status: 503,
      code: 'service.degraded',
      detail: 'the database is unreachable: try again when it is back',
      requestId,
    };
  }
  return { type: 'urn:acs:problem:internal', title: TITLES[500], status: 500, code: 'internal', requestId };
}

// body-parser errors carry `status` and `type` (entity.too.large, entity.parse.failed, ...).
function bodyParserStatus(e: unknown): number | undefined {
  if (typeof e === 'object' && e !== null && 'type' in e && 'status' in e) {
    const s = (e as { status: unknown }).status;
    if (typeof s === 'number' && s >= 400 && s < 500) return s;
  }
  return undefined;
}

function bodyParserDetail(status: number): string {
  return status === 413 ? 'request body is larger than the configured limit' : 'request body could not be parsed';
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const problem = toProblem(exception, req.id !== undefined ? String(req.id) : undefined);
    if (problem.status >= 500 && exception instanceof DomainError) {
      // An expected refusal (not ready, dependency down): its code and message say it all.
      this.logger.warn({ code: problem.code, detail: problem.detail }, 'service unavailable');
    } else if (problem.status >= 500) {
      // The stack goes to the log (ids and code paths only), never to the client.
      this.logger.error({ err: exception, code: problem.code }, 'unhandled error');
    }
    if (problem.status === 429 && typeof problem.retryAfterSeconds === 'number') {
      res.setHeader('Retry-After', String(problem.retryAfterSeconds));
    }
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  }
}
