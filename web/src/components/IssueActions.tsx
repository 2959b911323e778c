// Changing issues' status (resolve, ignore, unresolve), one PATCH each:
// used by the issue stream (in bulk) and an issue's page.
import { api, ApiError } from '../api';

/** setStatus changes the status of issues one PATCH each; it answers how many changed and the first error. */
export async function setStatus(ids: number[], status: string): Promise<{ done: number; error?: string }> {
  let done = 0;
  let error: string | undefined;
  await Promise.all(
    ids.map((id) =>
      api(`/api/v1/issues/${id}`, undefined, { method: 'PATCH', body: JSON.stringify({ status }) }).then(
        () => done++,
        (e: unknown) => (error ??= e instanceof ApiError ? e.message : String(e)),
      ),
    ),
  );
  return { done, error };
}

export const actions: [string, string][] = [
  ['resolved', 'Resolve'],
  ['ignored', 'Ignore'],
  ['unresolved', 'Unresolve'],
];

