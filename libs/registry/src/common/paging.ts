import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiPropertyOptional } from '@nestjs/swagger';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeCursor, encodeCursor, type Page } from '@acs/http';

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  cursor?: string;

  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

/** Keyset page over `alias.id` (UUIDv7, so creation order); cost does not grow with depth. */
export async function pageById<E extends ObjectLiteral & { id: string }, V>(
  qb: SelectQueryBuilder<E>,
  alias: string,
  q: PageQueryDto,
  view: (e: E) => V | Promise<V>,
): Promise<Page<V>> {
  const limit = q.limit ?? 50;
  if (q.cursor) {
    const { id } = decodeCursor<{ id: string }>(q.cursor, { id: 'string' });
    qb.andWhere(`${alias}.id > :afterId`, { afterId: id });
  }
  const rows = await qb
    .orderBy(`${alias}.id`, 'ASC')
    .take(limit + 1)
    .getMany();
  const page = rows.slice(0, limit);
  const items = await Promise.all(page.map(view));
  return rows.length > limit ? { items, nextCursor: encodeCursor({ id: page[page.length - 1].id }) } : { items };
}

/** The same paging over rows already in memory (used after decrypting for a name search). */
export function pageInMemory<V extends { id: string }>(sorted: V[], q: PageQueryDto): Page<V> {
  const limit = q.limit ?? 50;
  const after = q.cursor ? decodeCursor<{ id: string }>(q.cursor, { id: 'string' }).id : undefined;
  const rest = after ? sorted.filter((v) => v.id > after) : sorted;
  const items = rest.slice(0, limit);
  return rest.length > limit ? { items, nextCursor: encodeCursor({ id: items[items.length - 1].id }) } : { items };
}
