// Estimated: the note under a histogram whose counts include events kept
// by the project's sampling — the total before sampling, estimated by
// weighting each kept event by 1/lore.sample_rate.
import type { SampledSummary } from '../api/types.gen';

/** fmtCount renders a count with thousands separators: 12,340. */
function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function Estimated({ sampled }: { sampled?: SampledSummary }) {
  if (!sampled || sampled.kept === 0) return null;
  return (
    <p className="estimated muted small" title="Each event a sampling rule kept carries lore.sample_rate and stands for 1/rate events">
      <b>≈ {fmtCount(sampled.estimated_total)} events (estimated)</b> before sampling: {fmtCount(sampled.kept)} of the {fmtCount(sampled.total)} stored were kept by the
      project&rsquo;s sampling and are weighted by 1/<code>lore.sample_rate</code>. The bars count stored events.
    </p>
  );
}

/** counted is what a count stands for: its estimate before sampling when
 * the API gave one (some of its events were kept by sampling), else the
 * count as stored. */
export function counted(v: { count: number; estimate?: number }): number {
  return v.estimate ?? v.count;
}

/** Count shows a count that may be estimated: "≈3.1k", titled with the
 * events stored, when the API gave an estimate; else the count. */
export function Count({ v, format = fmtCount }: { v: { count: number; estimate?: number }; format?: (n: number) => string }) {
  if (v.estimate === undefined) return <>{format(v.count)}</>;
  return (
    <span className="estimated-count" title={`estimated before sampling: ${fmtCount(v.count)} stored, weighted by 1/lore.sample_rate`}>
      ≈{format(v.estimate)}
    </span>
  );
}
