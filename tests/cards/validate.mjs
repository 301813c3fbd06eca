// Microsoft's own judge of our cards: each card parsed by the Adaptive Cards SDK (the renderer Teams
// and the Playground build on) for version 1.5, then validateProperties(). Every event it logs is a
// problem, and so are any property the SDK does not know (it would otherwise drop it without a word)
// and any input without a label.
//
//   node validate.mjs FOLDER   prints {"file.json": ["problem", ...], ...} and exits 1 if any problem
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
for (const name of ['window', 'document', 'navigator', 'HTMLElement', 'Node']) {
  if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value: name === 'window' ? window : window[name], configurable: true });
}
// The package's own single-file build: its lib/ folder is ES modules written for a bundler.
const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js');

// Keys the parser reads itself, outside any object's list of properties.
const READ_BY_THE_PARSER = new Set(['type', 'fallback', 'actions', 'inlines', 'columns', 'card']);
const TARGET = AC.Versions.v1_5;

let unknown = [];
const parse = AC.SerializableObject.prototype.internalParse;
AC.SerializableObject.prototype.internalParse = function internalParse(source, context) {
  if (source && typeof source === 'object' && !Array.isArray(source)) {
    const schema = this.getSchema();
    const known = new Set(READ_BY_THE_PARSER);
    for (let i = 0; i < schema.getCount(); i += 1) known.add(schema.getItemAt(i).name);
    if (typeof this.getItemsCollectionPropertyName === 'function') known.add(this.getItemsCollectionPropertyName());
    for (const key of Object.keys(source)) {
      if (!known.has(key)) unknown.push(`unknown property "${key}" on ${source.type ?? this.getJsonTypeName?.() ?? this.constructor.name}`);
    }
  }
  return parse.call(this, source, context);
};

const PHASE = ['parse', 'to JSON', 'validation'];
const EVENT = Object.fromEntries(Object.entries(AC.ValidationEvent).filter(([, v]) => typeof v === 'number').map(([k, v]) => [v, k]));

/** Every problem the SDK finds in one card (as parsed JSON), in words. */
export function problemsIn(json) {
  unknown = [];
  const problems = [];
  if (!json || typeof json !== 'object' || json.type !== 'AdaptiveCard') problems.push('not an Adaptive Card (its type must be "AdaptiveCard")');
  const version = AC.Version.parse(json?.version, new AC.SerializationContext(TARGET));
  if (!version || !version.isValid) problems.push(`version ${JSON.stringify(json?.version)} is not a card version`);
  else if (version.compareTo(TARGET) > 0) problems.push(`version ${json.version} is above 1.5, the version Teams renders`);
  const context = new AC.SerializationContext(TARGET);
  const card = new AC.AdaptiveCard();
  card.parse(json, context);
  for (let i = 0; i < context.eventCount; i += 1) {
    const event = context.getEventAt(i);
    problems.push(`${EVENT[event.event]} (${PHASE[event.phase]}): ${event.message}`);
  }
  for (const event of card.validateProperties().validationEvents) {
    problems.push(`${EVENT[event.event]} (${PHASE[event.phase]}): ${event.message}`);
  }
  // The SDK asks a label only of required inputs; Teams reads every input's label to screen readers.
  for (const input of card.getAllInputs()) {
    if (!input.label && !input.isRequired) problems.push(`${input.getJsonTypeName()} "${input.id}" has no label`);
  }
  return [...problems, ...unknown];
}

/** The problems in every `*.json` card in `folder`, by file name; only files with problems. */
export function problemsInFolder(folder) {
  const found = {};
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
    let problems;
    try {
      problems = problemsIn(JSON.parse(readFileSync(join(folder, file), 'utf8')));
    } catch (error) {
      problems = [`could not be read: ${error.message}`];
    }
    if (problems.length) found[file] = problems;
  }
  return found;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = process.argv[2];
  if (!folder) {
    console.error('usage: node validate.mjs FOLDER');
    process.exit(2);
  }
  const found = problemsInFolder(folder);
  console.log(JSON.stringify(found, null, 2));
  process.exit(Object.keys(found).length ? 1 : 0);
}
