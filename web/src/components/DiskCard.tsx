// DiskCard: the disk watermark as GET /api/v1/project reports it — the
// data directory's size against its cap, the free disk against its
// floor — and, when the watermark has dropped the oldest days, a warning
// card saying which days went and why.
import { get, type ProjectInfo } from '../api';
import type { DiskDrop, DiskStatus } from '../api/types.gen';
import { fmtNum, fmtShort, useLoad } from '../util';

/** fmtBytes renders a size in binary units: 1.5 GiB. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = -1;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** DropWarning says which days the disk watermark deleted, and why. */
function DropWarning({ d }: { d: DiskDrop }) {
  return (
    <div className="disk-warning" role="alert">
      <b>The disk filled: Lore deleted the oldest days.</b>{' '}
      {d.days > 0 ? (
        <>
          On {fmtShort(d.at)}, {d.reason}, so every event before {d.before.slice(0, 10)} ({d.days} day{d.days === 1 ? '' : 's'}, {fmtNum(d.events)} events) was deleted.
        </>
      ) : (
        <>On {fmtShort(d.at)}, {d.reason}.</>
      )}{' '}
      {d.short && <>Only today&rsquo;s events are left and the disk is still over the watermark. </>}
      {d.unarchived && <>The archive could not be written, so these days were not archived. </>}
      Raise <code>--max-data-size</code>, free the disk, or shorten retention.
    </div>
  );
}

/** DiskWarning is the Overview's copy of the warning card, shown only after a drop. */
export function DiskWarning() {
  const p = useLoad((signal) => get<ProjectInfo>('/api/v1/project', undefined, signal), []);
  const d = p.data?.disk?.dropped;
  if (!d) return null;
  return (
    <div className="disk-card">
      <DropWarning d={d} />
      <a href="#/settings">Disk and retention settings</a>
    </div>
  );
}

export function DiskCard({ disk }: { disk?: DiskStatus }) {
  if (!disk) return null;
  const d = disk.dropped;
  return (
    <div className="disk-card">
      {d && <DropWarning d={d} />}
      <table className="kv">
        <tbody>
          <tr>
            <th>data</th>
            <td>
              {fmtBytes(disk.data_bytes)}
              {disk.max_data_bytes > 0 && <> of a {fmtBytes(disk.max_data_bytes)} cap</>}
            </td>
          </tr>
          <tr>
            <th>free disk</th>
            <td>
              {fmtBytes(disk.free_bytes)}
              {disk.min_free_bytes > 0 && <>, kept above {fmtBytes(disk.min_free_bytes)}</>}
            </td>
          </tr>
        </tbody>
      </table>
      <p className="muted small">Over the watermark, the oldest whole days of every kind are deleted first; today&rsquo;s never are.</p>
    </div>
  );
}
