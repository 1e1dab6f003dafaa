// A tab's filters as URL search parameters: each filter is declared once (its parameter name, its
// default and the values it may take), parsed from the URL with anything unknown or invalid falling
// back to the default, and written back with defaults left out, so every view has one canonical URL.

export interface Param<T extends string> {
  /** The search parameter's name in the URL. */
  name: string;
  default: T;
  /** The value for a raw URL value, or undefined when it is not acceptable. */
  parse(raw: string): T | undefined;
  /** The URL form of a value. */
  format(value: T): string;
}

export type Spec = Record<string, Param<string>>;
export type Values<S extends Spec> = { [K in keyof S]: S[K] extends Param<infer T> ? T : never };

/**
 * One of a fixed set of values. In the URL a value is `toUrl(value)` (lower case by default);
 * parsing ignores case.
 */
export function oneOf<const V extends readonly string[]>(
  name: string,
  values: V,
  defaultValue: V[number],
  toUrl: (value: V[number]) => string = (v) => v.toLowerCase(),
): Param<V[number]> {
  return {
    name,
    default: defaultValue,
    parse: (raw) => {
      const wanted = raw.trim().toLowerCase();
      return values.find((v) => toUrl(v).toLowerCase() === wanted || v.toLowerCase() === wanted);
    },
    format: toUrl,
  };
}

/** Free text (a search box), at most `maxLength` characters; the default is empty. */
export function text(name: string, maxLength = 200): Param<string> {
  return {
    name,
    default: '',
    parse: (raw) => (raw.length <= maxLength ? raw : raw.slice(0, maxLength)),
    format: (value) => value,
  };
}

export function parseSearch<S extends Spec>(spec: S, params: URLSearchParams): Values<S> {
  const values: Record<string, string> = {};
  for (const [key, param] of Object.entries(spec)) {
    const raw = params.get(param.name);
    const parsed = raw === null ? undefined : param.parse(raw);
    values[key] = parsed ?? param.default;
  }
  return values as Values<S>;
}

/**
 * The search parameters for `values`: the spec's parameters (defaults and blank text left out)
 * followed by `keep`'s parameters that the spec does not own.
 */
export function formatSearch<S extends Spec>(
  spec: S,
  values: Values<S>,
  keep: URLSearchParams = new URLSearchParams(),
): URLSearchParams {
  const out = new URLSearchParams();
  const owned = new Set<string>();
  for (const [key, param] of Object.entries(spec)) {
    owned.add(param.name);
    const value = (values as Record<string, string>)[key];
    if (value === undefined || value === param.default || value.trim() === '') continue;
    out.set(param.name, param.format(value));
  }
  for (const [name, value] of keep) if (!owned.has(name)) out.append(name, value);
  return out;
}
