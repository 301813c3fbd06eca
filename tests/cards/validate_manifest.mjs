// Microsoft's own judge of the Teams app manifest: @microsoft/app-manifest's validateAgainstSchema, given
// the schema the package ships for the manifest's "$schema", so nothing is fetched over the network.
//
//   node validate_manifest.mjs MANIFEST.json   prints ["problem", ...] and exits 1 if any problem
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const { AppManifestUtils } = require('@microsoft/app-manifest');
const SHIPPED = join(dirname(require.resolve('@microsoft/app-manifest/package.json')), 'build', 'json-schemas');

/** The schema the package ships for this "$schema" address, or an error saying there is none. */
function shippedSchema(address) {
  const match = /\/json-schemas\/(teams\/v[\d.]+\/MicrosoftTeams\.schema\.json)$/.exec(address ?? '');
  const path = match && join(SHIPPED, match[1]);
  if (!path || !existsSync(path)) throw new Error(`no schema shipped for "$schema": ${address}`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every way `manifest` (parsed JSON) breaks Microsoft's schema for its version, in words. */
export async function problemsIn(manifest) {
  return AppManifestUtils.validateAgainstSchema(manifest, shippedSchema(manifest.$schema));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node validate_manifest.mjs MANIFEST.json');
    process.exit(2);
  }
  let problems;
  try {
    problems = await problemsIn(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    problems = [error.message];
  }
  console.log(JSON.stringify(problems, null, 2));
  process.exit(problems.length ? 1 : 0);
}
