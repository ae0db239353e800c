/** Where a key's variable part may stand: a placeholder (`<stream>`) or a template slot (`${stream}`). */
const ANY = '[^:]+(?::dead-letter)?';

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A key pattern with `<name>` placeholders, as docs/metrics.md writes them, as an anchored regular expression. */
function fromPlaceholders(key: string): RegExp {
  return new RegExp(
    `^${key
      .split(/<[^>]+>/)
      .map(escaped)
      .join(ANY)}$`,
  );
}

/**
 * The series keys documented in docs/metrics.md, as patterns: the key column of the Redis time series table. A cell
 * like `` `{sale:<id>}:ts:latency:p50` (`p95`, `p99`) `` also names the keys ending in `p95` and `p99`.
 */
export function documentedSeriesKeys(markdown: string): RegExp[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Redis time series')) ?? '';
  return section.split('\n').flatMap((line) => {
    const cell = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    const [first, ...others] = [...cell.matchAll(/`([^`]+)`/g)].map(([, token]) => token as string);
    if (!first?.startsWith('{sale:')) return [];
    const stem = first.slice(0, first.lastIndexOf(':') + 1);
    return [first, ...others.map((last) => `${stem}${last}`)].map(fromPlaceholders);
  });
}

/**
 * The series keys metrics-export builds (`series('stock:left', …)`, `` series(`len:${stream}`, …) `` in its
 * series-keys.ts), as patterns under the sale's hash tag.
 */
export function exportedSeriesKeys(sources: readonly string[]): RegExp[] {
  return sources.flatMap((source) =>
    [...source.matchAll(/\bseries\(\s*(['`])([^'`]+)\1/g)].map(
      ([, , path]) =>
        new RegExp(
          `^\\{sale:[^}]+\\}:ts:${(path as string)
            .split(/\$\{[^}]+\}/)
            .map(escaped)
            .join(ANY)}$`,
        ),
    ),
  );
}
