import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latencies of the badge-in path: milliseconds matter (targets p99 ≤ 5 ms alone, ≤ 25 ms with 50 readers). */
const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** A door command's round trip: the QoS 1 publish, the controller, its reply; times out at MQTT_COMMAND_TIMEOUT_MS. */
const UNLOCK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/**
 * The process's one Prometheus registry and the metrics that are pushed to (counters,
 * histograms). Gauges read from the services at scrape time live in {@link MetricsCollectors}.
 *
 * Labels are bounded enumerations only (results, reason codes and families, states, kinds,
 * route templates, status codes): never a person, a name, a card number, a customer or any id.
 */
@Injectable()
export class AcsMetrics {
  readonly registry = new Registry();

  readonly badgeDecision = new Histogram({
    name: 'acs_badge_decision_seconds',
    help: 'Badge-in: last factor read (Search reply, card, PIN) to the decision',
    labelNames: ['result'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly badgeUnlock = new Histogram({
    name: 'acs_badge_unlock_ack_seconds',
    help: 'Badge-in: decision to the controller acknowledging the unlock (includes the durable write of the attempt)',
    buckets: UNLOCK_BUCKETS,
    registers: [this.registry],
  });

  readonly badgeAttempts = new Counter({
    name: 'acs_badge_attempts_total',
    help: 'Badge-in attempts decided on this instance, by result, reason code, reason family and credential',
    labelNames: ['result', 'reason', 'family', 'credential'] as const,
    registers: [this.registry],
  });

  readonly accessLogBatchSize = new Histogram({
    name: 'acs_access_log_batch_size',
    help: 'Access events written per access-log commit',
    buckets: BATCH_SIZE_BUCKETS,
    registers: [this.registry],
  });

  readonly accessLogCommit = new Histogram({
    name: 'acs_access_log_commit_seconds',
    help: 'Time to write one access-log batch (write-queue wait and commit)',
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly writeQueueWait = new Histogram({
    name: 'acs_db_write_queue_wait_seconds',
    help: 'Time a database write waited for the writes before it (the process-wide write queue)',
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  });

  readonly mqttMessages = new Counter({
    name: 'acs_mqtt_messages_total',
    help: 'MQTT messages received on the server subscriptions, by topic kind (status, state, reply, event)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly mqttSecurityEvents = new Counter({
    name: 'acs_mqtt_security_events_total',
    help: 'Inauthentic or malformed door messages and refused commands, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly doorEvents = new Counter({
    name: 'acs_door_events_total',
    help: 'Authentic door events from the controllers, by type (opened, closed, forced-open, held-open, ...)',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly readerTransitions = new Counter({
    name: 'acs_reader_state_transitions_total',
    help: 'Fingerprint reader connection state changes on this instance, by new state',
    labelNames: ['to'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Counter({
    name: 'acs_http_requests_total',
    help: 'HTTP requests answered, by method, route template (never a concrete path) and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'acs_http_request_duration_seconds',
    help: 'HTTP request duration to the end of the response, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Degraded mode (the database unreachable): set from DatabaseHealth's events by MetricsCollectors. */
  readonly degraded = new Gauge({
    name: 'acs_degraded',
    help: 'Degraded mode: 1 while the database is unreachable and badge-ins are spooled locally (docs/failover.md)',
    registers: [this.registry],
  });

  constructor() {
    // Process and Node figures: memory, CPU, handles, garbage collection, event-loop lag
    // (nodejs_eventloop_lag_seconds and its percentiles).
    collectDefaultMetrics({ register: this.registry });
    // Gauges whose names end in _total, which the exposition format reserves for counters
    // (`promtool check metrics` flags them); each is the sum of its by-type sibling kept here.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.degraded.set(0);
  }

  /** The exposition (Prometheus text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
