import { Injectable } from '@nestjs/common';

/** A readiness probe: resolves (optionally with details) when up, throws when down. */
export type ReadinessProbe = () => Promise<Record<string, unknown> | void>;

/**
 * Other contexts (broker, readers) register their probes here at start-up so `/ready` grows
 * with the system without the health module knowing about them.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly probes = new Map<string, ReadinessProbe>();

  register(name: string, probe: ReadinessProbe): void {
    if (this.probes.has(name)) throw new Error(`readiness probe ${name} is already registered`);
    this.probes.set(name, probe);
  }

  entries(): Array<[string, ReadinessProbe]> {
    return [...this.probes];
  }
}
