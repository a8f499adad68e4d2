// The bench's body: the ~3 KB identification payload in its documented
// shape. The fixture's four fields of another JSON type (drift, which the
// tests cover) carry the documented types here, as in Bullseye's own example.
import { readFileSync } from 'node:fs';

const DOCUMENTED_TYPES = [
  ['"icp": true', '"icp": "Enterprise Lead"'],
  ['"icp_statuses": ["enterprise", "north-america"]', '"icp_statuses": {"enterprise": true, "north-america": true}'],
  ['"persona_match": "Marketing Leader"', '"persona_match": true'],
  ['"size": "201-500"', '"size": 250'],
];

export const body = Buffer.from(
  DOCUMENTED_TYPES.reduce((json, [sent, documented]) => {
    if (!json.includes(sent)) throw new Error(`the fixture no longer has ${sent}`);
    return json.replace(sent, documented);
  }, readFileSync(new URL('../../fixtures/payloads/identification-event.json', import.meta.url), 'utf8')),
);
