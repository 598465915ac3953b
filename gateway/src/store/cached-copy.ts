/**
 * A private deep copy of a value a JsonFileDocument caches (an account, an organisation): parsed from its
 * JSON text, which is kept per cached object. Cached values are never changed in place (writers copy the
 * document first), so the text stays right for as long as the object lives. JSON.parse of that text is
 * several times cheaper than structuredClone for these small records (the copy per token check showed in
 * the gateway's profile under the pairing load: docs/benchmarks.md), and the values are JSON to begin with.
 */
const textOf = new WeakMap<object, string>();

export function cachedCopy<T extends object>(value: T): T {
  let text = textOf.get(value);
  if (text === undefined) textOf.set(value, (text = JSON.stringify(value)));
  return JSON.parse(text) as T;
}
