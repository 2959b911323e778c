// The product event names seen in the time range, offered as suggestions
// (a <datalist>) wherever an event name is typed.
import { get, type Facets } from '../api';
import { useLoad } from '../util';

export const eventNamesId = 'event-names';

export function EventNames({ from, to }: { from: string; to: string }) {
  const names = useLoad((signal) => get<Facets>('/api/v1/facets', { q: 'kind:event', field: 'name', from, to, limit: 50 }, signal), [from, to]);
  return (
    <datalist id={eventNamesId}>
      <option value="$error" />
      {(names.data?.values || []).map((v) => (
        <option key={v.value} value={v.value} />
      ))}
    </datalist>
  );
}
