// The events and visits the shared API returns, built from the core's
// answer: the glue (`bullseye-webhooks-js-glue`, behind both backends)
// answers a small JSON text `{"deliveryKey", "eventType", "mismatches"?,
// "typings"?}` about the body it checked; the event is JSON.parse of the
// verified body itself (the text given, or the bytes decoded), with
// `event_type` written in. Then the typed values the core reports are
// written at their paths, and the mismatches and the delivery key kept
// beside the payload. (One of the shared modules js/sync.mjs copies into
// each package; see webhooks.js.)
import { describe } from './support.js';

/**
 * Where an event or a visit keeps its mismatches: a property under a
 * symbol of this module, not enumerable, so JSON.stringify(event),
 * Object.keys and spreading see the payload only. (Not a WeakMap: its
 * entries outlive the young objects they describe until a full
 * collection, and a busy receiver then grows by the drifted events of a
 * whole major-GC cycle.)
 */
const MISMATCHES = Symbol('bullseye-webhooks mismatches');

/** The mismatch list `object` holds, if any. */
function mismatchList(object) {
  return Object.hasOwn(object, MISMATCHES) ? object[MISMATCHES] : undefined;
}

function isContainer(value) {
  return value !== null && typeof value === 'object';
}

/** `parent[key]` when it is an own entry (an index for an array), else undefined. */
function entry(parent, key) {
  if (!isContainer(parent) || Array.isArray(parent) !== (typeof key === 'number')) return undefined;
  return Object.hasOwn(parent, key) ? parent[key] : undefined;
}

/**
 * Write each mismatch's typed value at its path in `object` (JSON.parse of
 * the verified body), and keep the list, each with the value as sent.
 * `mismatches` is the core's `[[path, expected, found, typed], ...]`; a path
 * is dotted (`company.size`, `page_views.3.url`) and documented keys have no dots.
 */
function applyMismatches(object, mismatches) {
  const list = [];
  for (const [path, expected, found, typed] of mismatches) {
    const keys = path.split('.');
    let parent = object;
    for (let i = 0; i < keys.length - 1; i++) parent = entry(parent, Array.isArray(parent) ? Number(keys[i]) : keys[i]);
    const last = Array.isArray(parent) ? Number(keys[keys.length - 1]) : keys[keys.length - 1];
    const value = entry(parent, last);
    list.push({ path, expected, found, value: value === undefined ? null : value });
    if (value !== undefined) parent[last] = typed;
  }
  Object.defineProperty(object, MISMATCHES, { value: list });
}

/**
 * Type the strings of a visit's descriptive objects as the core says
 * (`"6"` -> 6, `"true"` -> true). `typings` is `[[[key or index, ...],
 * typed, "as sent"], ...]`; a typing applies only where the value is still
 * the string as sent (the list also names a repeated key's earlier occurrences).
 */
function applyTypings(object, typings) {
  for (const [keys, typed, sent] of typings) {
    let parent = object;
    for (let i = 0; i < keys.length - 1; i++) parent = entry(parent, keys[i]);
    const last = keys[keys.length - 1];
    if (entry(parent, last) === sent) parent[last] = typed;
  }
}

/**
 * The documented fields of `eventOrVisit` that were sent with another JSON
 * type, in document order: `{ path, expected, found, value }`, `value` as
 * sent (the object holds the typed value). A new array on each call; empty
 * for an object without any.
 */
function mismatchesOf(eventOrVisit) {
  if (!isContainer(eventOrVisit)) {
    throw new TypeError(`mismatchesOf takes an event or a visit, got ${describe(eventOrVisit)}`);
  }
  const list = mismatchList(eventOrVisit);
  return list === undefined ? [] : list.map((mismatch) => ({ ...mismatch }));
}

/**
 * Where an event or a visit keeps its delivery key: a non-enumerable
 * property under a symbol of this module, like the mismatches.
 */
const DELIVERY_KEY = Symbol('bullseye-webhooks delivery key');

/**
 * The key that de-duplicates the delivery of `eventOrVisit`, as the core
 * defines it: `bullseye:{organization_id}:{event_type}:{session_id}` for
 * an event with a session, `visit:{id}` for a visit with an id, else
 * `sha256:{hex SHA-256 of the raw body}` (Bitnob events, among others). It
 * holds no secret.
 */
function deliveryKeyOf(eventOrVisit) {
  if (!isContainer(eventOrVisit) || !Object.hasOwn(eventOrVisit, DELIVERY_KEY)) {
    throw new TypeError(
      `deliveryKeyOf takes an event or a visit this package constructed (a copy loses its key), got ${describe(eventOrVisit)}`,
    );
  }
  return eventOrVisit[DELIVERY_KEY];
}

/**
 * The verified body as text, exactly what the core checked: `raw` as given
 * when it is a string (the core took its UTF-8, in which a lone surrogate
 * is U+FFFD, as toWellFormed writes it), else `bytes` decoded. The core
 * accepted only valid UTF-8, so nothing is replaced, and a leading BOM
 * (which it refuses as JSON) is kept, not stripped.
 */
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
function bodyText(raw, bytes) {
  // Never a view of shared memory, which some decoders refuse: rawBody
  // (inputs.js) copied it before the check.
  if (typeof raw !== 'string') return decoder.decode(bytes);
  if (typeof raw.toWellFormed === 'function') return raw.toWellFormed();
  // Runtimes before ES2024: the bytes the core read (TextEncoder's).
  return typeof bytes === 'string' ? bytes : decoder.decode(bytes);
}

/**
 * JSON.parse of the verified body with `event_type` set as JSON.parse sets
 * a member: in its place when the body sent one, else as the last key. An
 * assignment does that (JSON.parse's members are writable data), unless
 * Object.prototype has gained an `event_type` (a setter, say): then it is
 * defined, so that nothing inherited runs.
 */
function parsedWithType(text, eventType) {
  const payload = JSON.parse(text);
  if ('event_type' in Object.prototype) {
    Object.defineProperty(payload, 'event_type', { value: eventType, writable: true, enumerable: true, configurable: true });
  } else {
    payload.event_type = eventType;
  }
  return payload;
}

/**
 * The event: JSON.parse of the verified body (`raw` as given, `bytes` as
 * the core read them) with `event_type`, the typed values of any
 * mismatches, and its delivery key. `answer` is the core's answer text
 * (see above).
 */
function eventFrom(answer, raw, bytes) {
  const { deliveryKey, eventType, mismatches } = JSON.parse(answer);
  const payload = parsedWithType(bodyText(raw, bytes), eventType);
  if (mismatches !== undefined) applyMismatches(payload, mismatches);
  Object.defineProperty(payload, DELIVERY_KEY, { value: deliveryKey });
  return payload;
}

/**
 * The visit: JSON.parse of the verified body with `event_type` (or null),
 * the typed values of any mismatches and of the descriptive objects'
 * strings, its delivery key, and `raw` (not enumerable), the object as
 * sent (a second JSON.parse of the body). `answer` is the core's answer
 * text (see above).
 */
function visitFrom(answer, raw, bytes) {
  const { deliveryKey, eventType, mismatches, typings } = JSON.parse(answer);
  const text = bodyText(raw, bytes);
  const payload = parsedWithType(text, eventType);
  if (mismatches !== undefined) applyMismatches(payload, mismatches);
  if (typings !== undefined) applyTypings(payload, typings);
  Object.defineProperty(payload, DELIVERY_KEY, { value: deliveryKey });
  Object.defineProperty(payload, 'raw', { value: JSON.parse(text), writable: true, configurable: true, enumerable: false });
  return payload;
}

export { mismatchesOf, deliveryKeyOf, eventFrom, visitFrom };
