// Proves the validator has teeth: copies of the document with a deliberate mistake each must fail.
import { readFile } from 'node:fs/promises';
import { Parser } from '@asyncapi/parser';

const original = await readFile(process.argv[2], 'utf8');
const mistakes = {
  'an operation whose action is neither send nor receive': (doc) => {
    const operation = Object.keys(doc.operations)[1];
    doc.operations[operation].action = 'sned';
    return `operations.${operation}.action`;
  },
  'a misspelt channel property': (doc) => {
    const channel = Object.keys(doc.channels)[0];
    doc.channels[channel].adress = doc.channels[channel].address;
    return `channels.${channel}.adress`;
  },
  'a message payload that is not a schema': (doc) => {
    const message = Object.keys(doc.components.messages)[0];
    doc.components.messages[message].payload = { type: 'objekt' };
    return `components.messages.${message}.payload`;
  },
};
let failed = false;
for (const [name, spoil] of Object.entries(mistakes)) {
  const doc = JSON.parse(original);
  const where = spoil(doc);
  const { diagnostics } = await new Parser().parse(JSON.stringify(doc));
  const errors = diagnostics.filter((d) => d.severity === 0).map((d) => d.path.join('.'));
  if (!errors.some((path) => path.startsWith(where))) {
    console.error(`self-test: the parser accepted ${name} (errors: ${errors.join(', ') || 'none'})`);
    failed = true;
  }
}
if (failed) process.exit(1);
console.log(`self-test: the parser refused each of ${Object.keys(mistakes).length} broken copies`);
