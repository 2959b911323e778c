// DeleteProject is the danger zone of a project's settings: a server admin
// types the project's name to enable the button, which deletes the
// project (DELETE /api/v1/projects/{id}?confirm=NAME) with its keys,
// members, settings and events, then switches to another project.
import { useState } from 'react';
import { deleteProject, setProject, type Me, type ProjectDeletion } from '../api';
import { ErrorMessage } from './common';

/** switchAway opens another project's Overview (next; '' for the user's first). */
function switchAway(next: number | '') {
  setProject(next);
  location.hash = '#/overview';
  location.reload();
}

export function DeleteProject({
  project,
  me,
  onDeleted = switchAway,
}: {
  project: { id: number; name: string };
  me: Me;
  onDeleted?: (next: number | '', done: ProjectDeletion) => void;
}) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (!me.can?.['server-admin']) return null;
  if (project.id === 1) {
    return (
      <section className="danger-zone" aria-label="Delete project">
        <h3>Delete project</h3>
        <p className="muted">The default project (1) is never deleted: the server makes it again at each start.</p>
      </section>
    );
  }
  const next = me.projects.find((p) => p.id !== project.id)?.id ?? '';
  const submit = async () => {
    setBusy(true);
    setError('');
    try {
      const done = await deleteProject(project.id, typed);
      onDeleted(next, done);
    } catch (e) {
      setError(String((e as Error).message || e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="danger-zone" aria-label="Delete project">
      <h3>Delete project</h3>
      <p>
        Deletes <b>{project.name}</b> for good: its keys stop working, its members lose it, its monitors, channels, dashboards, issues and settings go, and
        its events leave the store (archived days and recordings too). Backups already taken keep it.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === project.name && !busy) void submit();
        }}
      >
        <label>
          Type <code>{project.name}</code> to confirm{' '}
          <input aria-label="project name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
        </label>{' '}
        <button type="submit" className="danger" disabled={typed !== project.name || busy}>
          {busy ? 'Deleting…' : 'Delete project'}
        </button>
      </form>
      <ErrorMessage error={error} />
    </section>
  );
}
