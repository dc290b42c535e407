import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { SSE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { finalize, type Observable } from 'rxjs';
import { AppConfig } from '@acs/config';
import { DomainError } from '@acs/http';
import type { AuthenticatedRequest } from './auth.guard.js';

/**
 * Caps the server-sent event streams one token holds open at a time. Each stream keeps a
 * subscription, a keep-alive timer and a socket for as long as the client likes, so one token
 * opening a thousand of them costs every other client; a desk needs a handful. Counted per
 * instance (a stream lives on the instance that serves it); the count drops when the stream ends
 * for any reason, the client leaving included (Nest unsubscribes on disconnect).
 */
@Injectable()
export class LiveStreamLimit implements NestInterceptor {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http' || this.reflector.get<boolean | undefined>(SSE_METADATA, ctx.getHandler()) !== true) return next.handle();
    const tokenId = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal?.tokenId;
    if (tokenId === undefined) return next.handle();
    const limit = this.config.LIVE_STREAMS_PER_TOKEN;
    const count = this.open.get(tokenId) ?? 0;
    if (count >= limit) {
      throw new DomainError('monitor.too_many_streams', `this token already has ${limit} live streams open; close one first`, 429, { limit });
    }
    this.open.set(tokenId, count + 1);
    let released = false;
    return next.handle().pipe(
      finalize(() => {
        if (released) return;
        released = true;
        const left = (this.open.get(tokenId) ?? 1) - 1;
        if (left > 0) this.open.set(tokenId, left);
        else this.open.delete(tokenId);
      }),
    );
  }
}
