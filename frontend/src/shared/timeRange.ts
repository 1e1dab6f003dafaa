export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface RangePreset {
  id: string;
  label: string;
  ms: number;
}

/** `from`/`to` for a period of `ms` ending now, as ISO strings. */
export function rangeEndingNow(ms: number, now: number = Date.now()): { from: string; to: string } {
  return { from: new Date(now - ms).toISOString(), to: new Date(now).toISOString() };
}
