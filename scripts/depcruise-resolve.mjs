// Module resolution for dependency-cruiser (.dependency-cruiser.mjs, options.webpackConfig).
// dependency-cruiser resolves tsconfig paths through tsconfig-paths, which mis-reads a pattern
// with text after the `*` ("@acs/*/testing" becomes "@acs/<lib>/test" and nothing resolves), so
// every `@acs/<lib>/testing` import would be invisible to the rules. These aliases, read from the
// tree, resolve them the way tsconfig.json and the Jest moduleNameMapper do; a new or renamed lib
// needs no edit here.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const libs = fileURLToPath(new URL('../libs', import.meta.url));
const alias = {};
for (const lib of readdirSync(libs)) {
  const testing = join(libs, lib, 'src', 'testing', 'index.ts');
  if (existsSync(testing)) alias[`@acs/${lib}/testing$`] = testing;
}

export default { resolve: { alias } };
