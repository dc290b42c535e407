import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBase64, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync, type ValidationError } from 'class-validator';

const toBool = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string'
    ? ['1', 'true', 'yes', 'on'].includes(value.toLowerCase())
      ? true
      : ['0', 'false', 'no', 'off', ''].includes(value.toLowerCase())
        ? false
        : value
    : value;

/**
 * Every setting the server reads, validated once at start-up. The field names are the
 * environment variable names so an error message can name the variable to fix.
 * `.env.example` documents each one with its default; keep the two in step.
 */
export class AppConfig {
  /** Interface the HTTP API binds to. */
  @IsString()
  HTTP_HOST = '127.0.0.1';

  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  HTTP_PORT = 3000;

  /** Largest accepted request body, in the notation of the `bytes` package (e.g. 100kb). */
  @Matches(/^\d+(b|kb|mb)$/i, { message: 'must look like 100kb or 1mb' })
  HTTP_BODY_LIMIT = '100kb';

  /**
   * This server's name when several share one database and broker. Readers and door controllers
   * whose `host` equals it are opened and handled here; cluster leases and MQTT client ids carry
   * it. A single server keeps 'default'.
   */
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'must be 1-64 characters of a-z, 0-9 and dash' })
  INSTANCE_ID = 'default';

  /** Seconds a cluster-wide job's lease lasts without renewal (a dead instance's jobs move after it). */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  CLUSTER_LEASE_S = 15;

  /**
   * Failover groups this instance serves (comma-separated). A network reader or controller whose
   * failover group is listed here is taken over by this instance when its preferred host stops
   * renewing the lease of its devices. Empty: this instance serves only its own devices.
   */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean)
      : value,
  )
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { each: true, message: 'must be a comma-separated list of 1-64 characters of a-z, 0-9 and dash' })
  FAILOVER_GROUPS: string[] = [];

  /**
   * Milliseconds a lease on a failover group's devices lasts without renewal. The holder renews
   * every third of it; another instance of the group takes the devices at most about a third of
   * it after it has expired, so a dead owner's doors come back within 4/3 of this (8 s at 6000).
   */
  @Type(() => Number)
  @IsInt()
  @Min(1500)
  @Max(60000)
  DEVICE_LEASE_MS = 6000;

  /**
   * Degraded mode (docs/failover.md): for this many seconds after the database became unreachable,
   * badge-ins are decided from memory and their events committed to a local spool before the
   * door opens; beyond it the doors fail secure. 0: fail secure at once (no spool).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(86400)
  DEGRADED_WINDOW_S = 900;

  /** Folder for the SQLite file and the master key file unless those are set explicitly. */
  @IsString()
  DATA_DIR = './data';

  /**
   * PostgreSQL instead of the SQLite file: postgres://user:password@host:5432/database (the
   * scale-out database). Unset: SQLite under DATA_DIR. Holds a password, so it is never logged.
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+(\?\S*)?$/, { message: 'must be a postgres:// or postgresql:// URL naming a host and a database' })
  DATABASE_URL?: string;

  /** PostgreSQL only: connections in the pool (writes are serialised; reads use the rest). */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  /** PostgreSQL only: a statement running longer than this is cancelled (0: no limit). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  DATABASE_STATEMENT_TIMEOUT_MS = 60000;

  /** SQLite file; defaults to DATA_DIR/acs.sqlite. `:memory:` is for tests only. */
  @IsOptional()
  @IsString()
  DATABASE_PATH?: string;

  /**
   * SQLite only. FULL syncs the WAL on every commit: an acknowledged access event survives a power cut,
   * not only a process crash. NORMAL is faster but may lose the last commits on power loss.
   */
  @IsIn(['FULL', 'NORMAL'])
  DATABASE_SYNCHRONOUS: 'FULL' | 'NORMAL' = 'FULL';

  /** SQLite only: milliseconds a writer waits for a lock held by another process (CLI, backup). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  DATABASE_BUSY_TIMEOUT_MS = 5000;

  /** Run pending migrations at start-up. */
  @Transform(toBool)
  @IsBoolean()
  DATABASE_MIGRATE_ON_START = true;

  /** Master key as base64 (32 bytes). When unset the key file is used (created on first start). */
  @IsOptional()
  @IsBase64()
  MASTER_KEY?: string;

  /** Master key file; defaults to DATA_DIR/master-key.json. Created with mode 0600. */
  @IsOptional()
  @IsString()
  MASTER_KEY_FILE?: string;

  /** Lifetime of newly issued bearer tokens, in days. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  TOKEN_TTL_DAYS = 90;

  /** Failed authentications per client address allowed in AUTH_FAILURE_WINDOW_S before 429. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  AUTH_FAILURE_LIMIT = 10;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  AUTH_FAILURE_WINDOW_S = 300;

  /** Shortest password accepted for a staff account (NIST SP 800-63B: at least 8; 15 when it is the only factor). */
  @Type(() => Number)
  @IsInt()
  @Min(8)
  @Max(64)
  PASSWORD_MIN_LENGTH = 12;

  /** Failed sign-ins one username may have in SIGN_IN_LOCKOUT_S before it is locked for that long (other accounts are unaffected). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SIGN_IN_ACCOUNT_FAILURE_LIMIT = 5;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  SIGN_IN_LOCKOUT_S = 900;

  /** Staff must enrol a second factor (TOTP) before any route but enrolment works in a browser session. */
  @Transform(toBool)
  @IsBoolean()
  STAFF_TOTP_REQUIRED = true;

  /**
   * Passkeys (WebAuthn): the relying party id, a domain the console is reached under (never an IP
   * address). Unset: HTTP_HOST when it is a name, else `localhost`. See docs/passkeys.md.
   */
  @IsOptional()
  @Matches(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, {
    message: 'must be a domain name such as acs.example.com',
  })
  WEBAUTHN_RP_ID?: string;

  /** Passkeys: the name an authenticator shows for this server. */
  @IsString()
  @MinLength(1)
  WEBAUTHN_RP_NAME = 'ACS';

  /**
   * Passkeys: the origins (comma-separated, e.g. https://acs.example.com) a ceremony may run on.
   * Unset: the origin the request reached the server at, when its host is the RP id or under it.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s,/]+(,\s*https?:\/\/[^\s,/]+)*$/, { message: 'must be comma-separated origins such as https://acs.example.com' })
  WEBAUTHN_ORIGINS?: string;

  /** A browser session ends after this many minutes without a request. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1440)
  SESSION_IDLE_MINUTES = 30;

  /** A browser session ends this many hours after sign-in, whatever the activity. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(168)
  SESSION_ABSOLUTE_HOURS = 12;

  /** Lifetime of a one-time password-reset token an administrator issues. */
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(10080)
  PASSWORD_RESET_TTL_MINUTES = 1440;

  /** Server-sent event streams (live monitoring, enrolment progress) one token may hold open at once, per instance. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  LIVE_STREAMS_PER_TOKEN = 10;

  /**
   * The reverse proxies in front of the API (comma-separated addresses or CIDR ranges, or
   * `loopback`, `linklocal`, `uniquelocal`). Only a request arriving from one of these has its
   * X-Forwarded-For believed for the client address (rate limits, logs); from anyone else the
   * header is ignored, so a client cannot pick the address it is counted under. Unset: no proxy.
   */
  @IsOptional()
  @Matches(/^\s*(loopback|linklocal|uniquelocal|[0-9A-Fa-f:.]+(\/\d{1,3})?)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9A-Fa-f:.]+(\/\d{1,3})?))*\s*$/, {
    message: 'must be a comma-separated list of proxy addresses, CIDR ranges or loopback/linklocal/uniquelocal',
  })
  TRUST_PROXY?: string;

  /**
   * External MQTT broker (mqtt://host:port or mqtts://...). Unset: the server starts its embedded
   * broker on MQTT_EMBEDDED_HOST:MQTT_EMBEDDED_PORT.
   */
  @IsOptional()
  @Matches(/^mqtts?:\/\/[^\s]+$/, { message: 'must be an mqtt:// or mqtts:// URL' })
  MQTT_BROKER_URL?: string;

  /** Interface of the embedded broker; use 0.0.0.0 only together with TLS. */
  @IsString()
  MQTT_EMBEDDED_HOST = '127.0.0.1';

  /** Not 1883, where a host's own Mosquitto usually listens. 0 picks a free port (tests). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  MQTT_EMBEDDED_PORT = 18830;

  /** The server's broker identity; its client ids start with this. */
  @Matches(/^[a-z0-9][a-z0-9_-]{1,63}$/, { message: 'must be 2-64 characters of a-z, 0-9, dash or underscore' })
  MQTT_SERVER_USERNAME = 'acs-server';

  /** Required with MQTT_BROKER_URL; with the embedded broker a random one is used when unset. */
  @IsOptional()
  @IsString()
  @MinLength(12)
  MQTT_SERVER_PASSWORD?: string;

  /** Serve the embedded broker over TLS (mqtts) with these PEM files. */
  @IsOptional()
  @IsString()
  MQTT_TLS_CERT_FILE?: string;

  @IsOptional()
  @IsString()
  MQTT_TLS_KEY_FILE?: string;

  /** CA for verifying the broker (external) or clients (embedded, with client certificates). */
  @IsOptional()
  @IsString()
  MQTT_TLS_CA_FILE?: string;

  /** How long a door command waits for the controller's reply. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  MQTT_COMMAND_TIMEOUT_MS = 2000;

  /**
   * Largest MQTT packet (remaining length, bytes) the embedded broker accepts, checked from the
   * fixed header before the body is read: a door message is under 1 KiB, the payload limit is 8 KiB.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  @Max(268435455)
  MQTT_MAX_PACKET_BYTES = 9216;

  /** A connection that has not completed its CONNECT within this is closed. */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  @Max(60000)
  MQTT_CONNECT_TIMEOUT_MS = 5000;

  /** Open connections to the embedded broker, in total and from one client address. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  MQTT_MAX_CONNECTIONS = 1000;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  MQTT_MAX_CONNECTIONS_PER_ADDRESS = 32;

  /** Seconds an address whose packet the broker refused (oversize, malformed) has new connections closed at once; 0: off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3600)
  MQTT_REFUSAL_PENALTY_S = 10;

  /** Security events (forged MACs, broker refusals, ...) within a minute that raise the console alarm. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SECURITY_ALARM_THRESHOLD = 20;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** Time zone for sites that do not name one (IANA name). */
  @IsString()
  @MinLength(1)
  DEFAULT_TIME_ZONE = 'Europe/Amsterdam';

  /** Open the registry's fingerprint readers at start-up (off for tests without device I/O). */
  @Transform(toBool)
  @IsBoolean()
  READERS_ENABLED = true;

  /** Seconds an enrolment step waits for the person at the desk (place, lift) before it times out. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(600)
  ENROLMENT_TIMEOUT_S = 20;

  /** Seconds between re-plans and reconciliations of every reader library (validity passes with time). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  READER_SYNC_INTERVAL_S = 300;

  /**
   * How often the server looks for changes that acsctl wrote straight into the database (no
   * cluster notice reaches the server from the CLI): new audit entries by the CLI refresh the
   * registry-derived state (readers, controllers, decision snapshot).
   */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  CLI_CHANGE_POLL_MS = 2000;

  /** Badge-in: Search scores below this count as no match (virtual and R503 modules report 0..400). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  BADGE_MATCH_THRESHOLD = 80;

  /**
   * Badge-in: milliseconds from the start of one finger poll (GenImg) of a door reader to the
   * start of the next: the longest a finger waits before it is looked at. Each poll is 24 bytes,
   * 4.2 ms of a 57,600 baud line (README, Finger detection).
   */
  @Type(() => Number)
  @IsInt()
  @Min(5)
  @Max(5000)
  BADGE_POLL_INTERVAL_MS = 50;

  /** Badge-in: an idle door reader's poll period grows x1.5 per empty poll up to this factor; 1 never backs off. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(20)
  BADGE_POLL_IDLE_BACKOFF = 1;

  /** Badge-in: the most of a reader's serial line (percent) idle polling may take; a shorter interval is stretched to fit. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  BADGE_POLL_LINE_SHARE = 50;

  /** Badge-in: how long a granted unlock releases the strike. */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  @Max(60000)
  BADGE_UNLOCK_MS = 5000;

  /** Compliance: run the end-of-service purge on a schedule (compliance can always run it by hand). */
  @Transform(toBool)
  @IsBoolean()
  PURGE_SCHEDULE_ENABLED = true;

  /** Compliance: days after a customer's service end before the scheduled purge takes it (0: at once). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3650)
  PURGE_GRACE_DAYS = 0;

  /** Compliance: seconds between looks for customers due for a purge (and for pseudonymised history due for deletion). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  PURGE_CHECK_INTERVAL_S = 3600;

  /** Compliance: at end of service `delete` the customer's access history (privacy statement), or `pseudonymise` it (identity stripped) and keep it HISTORY_KEEP_DAYS. */
  @IsIn(['delete', 'pseudonymise'])
  HISTORY_RETENTION: 'delete' | 'pseudonymise' = 'delete';

  /** Compliance: days pseudonymised history is kept after the end of service before it is deleted. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3650)
  HISTORY_KEEP_DAYS = 90;

  /** Visitors: days after a visit's window ends before the visitor's data is erased (with a certificate). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3650)
  VISITOR_RETENTION_DAYS = 30;

  /** Visitors: seconds between looks for visits that ended (no-show, left) or whose retention period is over. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  VISITOR_SWEEP_INTERVAL_S = 300;

  /**
   * Evidence: the Ed25519 signing key ring (certificates and checkpoints); defaults to
   * signing-keys.json beside the master key file. Created with mode 0600; kept out of the database
   * so that whoever can write the database cannot forge evidence.
   */
  @IsOptional()
  @IsString()
  SIGNING_KEY_FILE?: string;

  /** Evidence: folder the signed erasure certificates are written to (outside the database); defaults to DATA_DIR/certificates. */
  @IsOptional()
  @IsString()
  CERTIFICATE_DIR?: string;

  /** Evidence: folder of the signed checkpoint log of the chain heads (outside the database); defaults to DATA_DIR/checkpoints. */
  @IsOptional()
  @IsString()
  CHECKPOINT_DIR?: string;

  /** Evidence: seconds between signed checkpoints of the audit and access-history chain heads (also one at every purge). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  CHECKPOINT_INTERVAL_S = 300;

  /**
   * Backups: folder the server writes scheduled backups to (one sub-folder each, with its
   * manifest); unset: no scheduled backups (`acsctl backup` still works). Never the key ring.
   */
  @IsOptional()
  @IsString()
  BACKUP_DIR?: string;

  /** Backups: hours between scheduled backups (one instance of a cluster takes them, under a lease). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(24 * 366)
  BACKUP_EVERY_H = 24;

  /** Backups: how many scheduled backups to keep in BACKUP_DIR; older ones are deleted after each new one. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  BACKUP_KEEP = 7;

  /**
   * Fault testing only, never in production: the erasure runner does not start the named step of
   * any purge job (the job stays `running` at that step, nothing else is written), so a test can
   * kill the process there and restart it without the setting to see the job finish.
   */
  @IsOptional()
  @IsIn(['readers', 'server_data', 'history', 'key', 'physical', 'certificate'])
  ERASURE_PAUSE_BEFORE_STEP?: 'readers' | 'server_data' | 'history' | 'key' | 'physical' | 'certificate';

  /**
   * Single sign-on for staff (OpenID Connect, docs/single-sign-on.md): the provider's issuer URL
   * exactly as its discovery document names it. Unset: single sign-on is off.
   */
  @IsOptional()
  @Matches(/^https?:\/\/\S+$/, { message: 'must be an http(s) URL' })
  OIDC_ISSUER?: string;

  /** Single sign-on: this server's client id at the provider. */
  @IsOptional()
  @IsString()
  OIDC_CLIENT_ID?: string;

  /** Single sign-on: the client secret (client_secret_basic); unset for a public client (PKCE only). Never logged. */
  @IsOptional()
  @IsString()
  OIDC_CLIENT_SECRET?: string;

  /** Single sign-on: the redirect URI registered at the provider, this server's /auth/oidc/callback as browsers reach it. */
  @IsOptional()
  @Matches(/^https?:\/\/\S+\/auth\/oidc\/callback$/, { message: 'must be an http(s) URL ending in /auth/oidc/callback' })
  OIDC_REDIRECT_URL?: string;

  /** Single sign-on: scopes to ask for, space-separated (openid is always sent). */
  @IsString()
  OIDC_SCOPES = 'openid';

  /** Single sign-on: the ID token claim that carries the person's groups or roles (a string or an array of strings). */
  @Matches(/^[A-Za-z0-9_:./-]{1,128}$/, { message: 'must be a claim name' })
  OIDC_ROLE_CLAIM = 'groups';

  /**
   * Single sign-on: claim value → staff role, e.g. `acs-admins=admin,acs-guards=security`. A
   * person matching several entries gets the first one's role; matching none is refused.
   */
  @IsOptional()
  @IsString()
  OIDC_ROLE_MAP?: string;

  /** Single sign-on: the provider's name on the console's button ("Sign in with …"). */
  @IsString()
  OIDC_DISPLAY_NAME = 'SSO';

  /** Single sign-on: minutes a started sign-in (state, nonce, PKCE verifier) waits for the provider's answer. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(60)
  OIDC_STATE_TTL_MINUTES = 10;

  /**
   * Metrics (Prometheus text format): the bearer token a scraper sends to `GET /metrics` on the
   * API port. Unset: `/metrics` on the API port answers 404. At least 32 characters; never logged.
   */
  @IsOptional()
  @IsString()
  @MinLength(32)
  METRICS_TOKEN?: string;

  /** Metrics: a separate listener serving only `/metrics` (0 picks a free port). Unset: none. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  METRICS_PORT?: number;

  /** Metrics: where the separate listener binds. Anything but loopback requires METRICS_TOKEN. */
  @IsString()
  METRICS_HOST = '127.0.0.1';

  /**
   * SIEM export (docs/siem.md): the syslog collector as `tls://host[:port]`, RFC 5424 messages
   * over TLS (RFC 5425; port 6514 when none is given). Unset: no export, nothing is queued.
   */
  @IsOptional()
  @Matches(/^tls:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?\/?$/, { message: 'must look like tls://host:6514' })
  SIEM_SYSLOG_URL?: string;

  /** SIEM export: CA certificates (PEM) that verify the collector; unset: the system's CAs. */
  @IsOptional()
  @IsString()
  SIEM_CA_FILE?: string;

  /** SIEM export: this server's client certificate and key (PEM) when the collector asks for one (mutual TLS). */
  @IsOptional()
  @IsString()
  SIEM_CLIENT_CERT_FILE?: string;

  @IsOptional()
  @IsString()
  SIEM_CLIENT_KEY_FILE?: string;

  /** SIEM export: the name the collector's certificate must carry (and SNI); unset: the host of SIEM_SYSLOG_URL. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.*-]{1,253}$/, { message: 'must be a DNS name' })
  SIEM_SERVER_NAME?: string;

  /** SIEM export: the MSG part, a short summary (`rfc5424`) or the same event as ArcSight CEF (`cef`); structured data either way. */
  @IsIn(['rfc5424', 'cef'])
  SIEM_FORMAT: 'rfc5424' | 'cef' = 'rfc5424';

  /** SIEM export: syslog facility (RFC 5424 §6.2.1; 10 = security/authorization, 13 = log audit). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(23)
  SIEM_FACILITY = 10;

  /** SIEM export: HOSTNAME of the messages; unset: the machine's host name. */
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,255}$/, { message: 'must be 1-255 printable ASCII characters without spaces' })
  SIEM_HOSTNAME?: string;

  /** SIEM export: the private enterprise number in the SD-ID `acs@<number>` (32473 is IANA's example number, RFC 5612). */
  @Matches(/^\d+(\.\d+)*$/, { message: 'must be an enterprise number such as 32473' })
  SIEM_ENTERPRISE_ID = '32473';

  /** SIEM export: events waiting beyond which the outbox is over its limit (metric, alert, readiness detail; never dropped). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SIEM_OUTBOX_MAX = 100_000;

  /** SIEM export: hours the oldest waiting event may wait before the outbox is over its limit. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  SIEM_OUTBOX_MAX_AGE_H = 24;

  /**
   * SIEM export: milliseconds a written message stays in the outbox while its connection lives on;
   * a connection lost within them resends it (TLS syslog has no acknowledgement, docs/siem.md).
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SIEM_CONFIRM_MS = 2000;

  /** SIEM_SYSLOG_URL's host and port (6514 by default, RFC 5425 §4.1); undefined when the export is off. */
  get siemTarget(): { host: string; port: number } | undefined {
    const m = /^tls:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(this.SIEM_SYSLOG_URL ?? '');
    return m ? { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : 6514 } : undefined;
  }

  /**
   * Notifications (docs/notifications.md): the SMTP server mails to customer administrators go
   * through, `smtp://host:587` (STARTTLS when the server offers it) or `smtps://host:465`
   * (implicit TLS), with `user:password@` when it wants authentication. Unset: notifications are
   * off and nothing is queued. Never logged.
   */
  @IsOptional()
  @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  /** Notifications: the sender address (RFC 5322 `From`), e.g. `ACS <acs@dc.example.com>`. */
  @IsString()
  @MinLength(3)
  SMTP_FROM = 'acs@localhost';

  /** Notifications: refuse to send unless the connection is TLS (STARTTLS required on smtp://). */
  @Transform(toBool)
  @IsBoolean()
  SMTP_REQUIRE_TLS = false;

  /** Notifications: PEM file of the CA that signed the SMTP server's certificate (a private CA). Unset: the system's CAs. */
  @IsOptional()
  @IsString()
  SMTP_TLS_CA_FILE?: string;

  /** Notifications: check the SMTP server's certificate (turn off only for a test server). */
  @Transform(toBool)
  @IsBoolean()
  SMTP_TLS_VERIFY = true;

  /** Notifications: seconds between looks at the outbox for mail due to be sent. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  NOTIFY_POLL_S = 5;

  /** Notifications: sending attempts before a mail is given up (`dead`, listed for staff). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  NOTIFY_MAX_ATTEMPTS = 8;

  /** Notifications: the first retry's delay in seconds; each further one doubles it, up to an hour. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(3600)
  NOTIFY_RETRY_BASE_S = 30;

  /** Notifications: denials in a row of one person at one zone that warn the customer's administrators. */
  @Type(() => Number)
  @IsInt()
  @Min(2)
  @Max(100)
  NOTIFY_DENIALS_IN_A_ROW = 3;

  /** Notifications: days before a grant's end that its customer's administrators are told. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(365)
  NOTIFY_ACCESS_ENDING_DAYS = 14;

  /** The address people reach the console at, e.g. `https://acs.example.com` (links in e-mails). Unset: mails name the console paths only. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'must be an http(s) URL such as https://acs.example.com' })
  PUBLIC_URL?: string;

  get databasePath(): string {
    return this.DATABASE_PATH ?? `${this.DATA_DIR.replace(/\/$/, '')}/acs.sqlite`;
  }

  /** Which database the settings select. */
  get databaseDriver(): 'sqlite' | 'postgres' {
    return this.DATABASE_URL ? 'postgres' : 'sqlite';
  }

  /** TRUST_PROXY as Express's `trust proxy` setting: the list, or false (trust no X-Forwarded-For). */
  get trustedProxies(): string[] | false {
    const list = (this.TRUST_PROXY ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    return list.length > 0 ? list : false;
  }

  get masterKeyFile(): string {
    return this.MASTER_KEY_FILE ?? `${this.DATA_DIR.replace(/\/$/, '')}/master-key.json`;
  }

  get signingKeyFile(): string {
    if (this.SIGNING_KEY_FILE) return this.SIGNING_KEY_FILE;
    const master = this.masterKeyFile;
    const slash = master.lastIndexOf('/');
    return `${slash >= 0 ? master.slice(0, slash) : '.'}/signing-keys.json`;
  }

  get certificateDir(): string {
    return this.CERTIFICATE_DIR ?? `${this.DATA_DIR.replace(/\/$/, '')}/certificates`;
  }

  get checkpointDir(): string {
    return this.CHECKPOINT_DIR ?? `${this.DATA_DIR.replace(/\/$/, '')}/checkpoints`;
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map(
      (msg) =>
        // class-validator puts the property name first; say which variable and never echo the value
        // (it may be a secret such as MASTER_KEY).
        `${e.property}: ${msg.startsWith(e.property) ? msg.slice(e.property.length).trim() : msg}`,
    ),
  );
}

/** Settings without a default (so absent from a fresh instance's keys). */
export const OPTIONAL_SETTINGS = [
  'DATABASE_URL',
  'DATABASE_PATH',
  'MASTER_KEY',
  'MASTER_KEY_FILE',
  'MQTT_BROKER_URL',
  'MQTT_SERVER_PASSWORD',
  'MQTT_TLS_CERT_FILE',
  'MQTT_TLS_KEY_FILE',
  'MQTT_TLS_CA_FILE',
  'ERASURE_PAUSE_BEFORE_STEP',
  'SIGNING_KEY_FILE',
  'CERTIFICATE_DIR',
  'CHECKPOINT_DIR',
  'BACKUP_DIR',
  'TRUST_PROXY',
  'WEBAUTHN_RP_ID',
  'WEBAUTHN_ORIGINS',
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_REDIRECT_URL',
  'OIDC_ROLE_MAP',
  'METRICS_TOKEN',
  'METRICS_PORT',
  'SIEM_SYSLOG_URL',
  'SIEM_CA_FILE',
  'SIEM_CLIENT_CERT_FILE',
  'SIEM_CLIENT_KEY_FILE',
  'SIEM_SERVER_NAME',
  'SIEM_HOSTNAME',
  'SMTP_URL',
  'SMTP_TLS_CA_FILE',
  'PUBLIC_URL',
];

const KNOWN = new Set(Object.keys(new AppConfig()).concat(OPTIONAL_SETTINGS));

/**
 * Builds the configuration from an environment map (normally `process.env`). Unknown variables
 * are ignored (the environment holds many); empty strings count as unset.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (KNOWN.has(k) && v !== undefined && v !== '') plain[k] = v;
  }
  const config = plainToInstance(AppConfig, plain, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) throw new ConfigError(describe(errors));
  const cross = crossFieldProblems(config);
  if (cross.length > 0) throw new ConfigError(cross);
  return config;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function crossFieldProblems(c: AppConfig): string[] {
  const problems: string[] = [];
  if (c.MQTT_BROKER_URL && !c.MQTT_SERVER_PASSWORD) {
    problems.push('MQTT_SERVER_PASSWORD: must be set when MQTT_BROKER_URL names an external broker');
  }
  if (c.DATABASE_URL && c.DATABASE_PATH) {
    problems.push('DATABASE_PATH: must not be set together with DATABASE_URL (one database or the other)');
  }
  if (Boolean(c.MQTT_TLS_CERT_FILE) !== Boolean(c.MQTT_TLS_KEY_FILE)) {
    problems.push('MQTT_TLS_CERT_FILE: must be set together with MQTT_TLS_KEY_FILE');
  }
  // A listener reachable from elsewhere without a token would publish the fleet's state to anyone.
  if (c.METRICS_PORT !== undefined && !c.METRICS_TOKEN && !isLoopback(c.METRICS_HOST)) {
    problems.push('METRICS_HOST: must be a loopback address (127.0.0.1, ::1, localhost) unless METRICS_TOKEN is set');
  }
  if (Boolean(c.SIEM_CLIENT_CERT_FILE) !== Boolean(c.SIEM_CLIENT_KEY_FILE)) {
    problems.push('SIEM_CLIENT_CERT_FILE: must be set together with SIEM_CLIENT_KEY_FILE');
  }
  if (c.siemTarget && (c.siemTarget.port < 1 || c.siemTarget.port > 65535)) problems.push('SIEM_SYSLOG_URL: the port must be 1-65535');
  if (c.OIDC_ISSUER) {
    for (const k of ['OIDC_CLIENT_ID', 'OIDC_REDIRECT_URL', 'OIDC_ROLE_MAP'] as const) {
      if (!c[k]) problems.push(`${k}: must be set when OIDC_ISSUER turns single sign-on on`);
    }
  }
  return problems;
}
