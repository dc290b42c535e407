// Import boundaries of the monorepo, checked by `npm run lint` (dependency-cruiser). Each rule
// says why it exists. Rules name libs by pattern, so a lib rename changes at most one line.
// Exceptions are named, each with the reason and who removes it.

/** Code that runs only under Jest or the benchmarks: specs, `testing` folders, test/. */
const TEST_CODE = '(\\.(e2e-)?spec\\.tsx?$|/testing/|^test/)';

/**
 * Libs that a simulator under hardware/ may use: the wire protocols it speaks (door-protocol; the
 * reader's frame codec and link layer in fingerprint; the card reader's packets and codecs in osdp)
 * and the injected clock. A simulator stands in for a device, so it must not grow a dependency on
 * the server's Nest services.
 */
const HARDWARE_MAY_USE = '(door-protocol|fingerprint|osdp|clock)';

/** What the migrations' own specs use to run them; migrations themselves import no lib. */
const MIGRATION_SPECS_MAY_USE = '(config|database|schema)';

/**
 * The bottom layer: pure rules, wire protocols and infrastructure every lib may use. They import
 * only each other, never a domain lib (registry, access-log, enrolment, the reader fleet,
 * door-control, badge-in, compliance, ...), so the domain libs can be split and renamed without
 * touching them. A new foundation lib is added here; a renamed domain lib needs no edit.
 */
const FOUNDATION = '(clock|config|logging|http|database|crypto|access-rules|door-protocol|fingerprint|osdp)';

export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle between production modules makes load order decide what is undefined at start-up ' +
        '(Nest providers then fail with "cannot resolve dependency"), and hides which side owns what. ' +
        'Type-only imports are erased at compile time and cannot cause that, so they do not count.',
      from: { pathNot: TEST_CODE },
      to: { circular: true, viaOnly: { pathNot: TEST_CODE, dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'libs-not-apps',
      severity: 'error',
      comment: 'Layer order: apps compose libs. A lib that imports an app cannot be reused by the other app (server, acsctl) or tested alone.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'libs-not-test-or-hardware',
      severity: 'error',
      comment:
        'Production lib code must not depend on test helpers or device simulators (they are not built for ' +
        "production and may not even be in dist/). Test doubles belong in a lib's testing folder.",
      from: { path: '^libs/', pathNot: TEST_CODE },
      to: { path: '^(test|hardware)/' },
    },
    {
      name: 'production-not-testing',
      severity: 'error',
      comment: "Test doubles (a lib's testing folder) are for specs and test/; production code that used one would ship a fake.",
      from: { path: '^(apps|libs|hardware|migrations)/', pathNot: TEST_CODE },
      to: { path: '/testing/' },
    },
    {
      name: 'hardware-only-protocol-libs',
      severity: 'error',
      comment:
        'Simulators stand in for devices and speak only the wire protocols; a Nest service lib in a ' +
        'simulator would let it pass by sharing server code instead of speaking the protocol.',
      from: { path: '^hardware/' },
      to: { path: '^(libs|apps|migrations)/', pathNot: `^libs/${HARDWARE_MAY_USE}/` },
    },
    {
      name: 'migrations-import-no-libs',
      severity: 'error',
      comment:
        'A migration is frozen once released; importing a lib (an entity, a constant) would change what an ' + 'old migration does whenever the lib changes.',
      from: { path: '^migrations/', pathNot: TEST_CODE },
      to: { path: '^(libs|apps|hardware)/' },
    },
    {
      name: 'migration-specs-only-database-libs',
      severity: 'error',
      comment: 'The migration specs run the migrations against a database and compare with the schema; nothing else.',
      from: { path: `^migrations/.*${TEST_CODE}` },
      to: { path: '^(libs|apps|hardware)/', pathNot: `^libs/${MIGRATION_SPECS_MAY_USE}/` },
    },
    {
      name: 'no-relative-import-across-libs',
      severity: 'error',
      comment:
        'Another lib is reached through its @acs/<lib> entry (its public surface), never by a relative path ' +
        'into its files: a relative path skips the surface and breaks silently when the other lib moves a file.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/', pathNot: '^libs/$1/', dependencyTypesNot: ['aliased'] },
    },
    {
      name: 'lib-specs-not-schema',
      severity: 'error',
      comment:
        "A lib's specs test the lib with its own tables; @acs/schema is every lib's entities together, so " +
        'a lib spec that imports it depends on every other lib and breaks with their changes.',
      from: { path: '^libs/([^/]+)/.*\\.spec\\.ts$', pathNot: '^libs/schema/' },
      to: { path: '^libs/schema/' },
    },
    {
      name: 'only-apps-use-schema',
      severity: 'error',
      comment:
        "@acs/schema gathers every lib's entities for the apps (and the migration specs); a lib that imported " +
        'it would depend on every other lib, and the schema imports that lib back.',
      from: { path: '^libs/', pathNot: ['^libs/schema/', TEST_CODE] },
      to: { path: '^libs/schema/' },
    },
    {
      name: 'foundation-libs-import-only-foundation',
      severity: 'error',
      comment:
        'Layer order inside libs: the foundation (pure rules, protocols, infrastructure) never reaches up into ' +
        'a domain lib, so the domain libs stay free to depend on it and on each other without cycles.',
      from: { path: `^libs/${FOUNDATION}/`, pathNot: TEST_CODE },
      to: { path: '^libs/', pathNot: `^libs/${FOUNDATION}/` },
    },
    {
      name: 'mqtt-is-transport',
      severity: 'error',
      comment:
        'libs/mqtt is the broker and client transport; the door domain (commands, door state) lives in ' +
        'libs/door-control and uses it, never the other way round.',
      from: { path: '^libs/mqtt/', pathNot: TEST_CODE },
      to: { path: '^libs/', pathNot: `^libs/(mqtt|${FOUNDATION})/` },
    },
    {
      name: 'no-lib-simulator-cycle',
      severity: 'error',
      comment:
        "A lib's test doubles must not import a simulator built on that lib: the two then cannot be built or " +
        'tested apart (fingerprint ↔ virtual-reader, door-protocol ↔ virtual-controller, osdp ↔ the OSDP reader).',
      from: { path: '^libs/(fingerprint|door-protocol|osdp)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^hardware/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|coverage|test-output)/' },
    // Type-only imports count (tsPreCompilationDeps) so that rules see what the source says.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    webpackConfig: { fileName: 'scripts/depcruise-resolve.mjs' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
  },
};
