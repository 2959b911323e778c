// People and access: signing in and out, the signed-in user, members,
// keys and the audit log (/api/v1/auth, /members, /keys, /audit).
import { api, post } from './client';

export interface User {
  id: number;
  email: string;
  server_admin: boolean;
  has_password: boolean;
  created_at: string;
}

export interface ProjectRole {
  id: number;
  name: string;
  created_at: string;
  role: string;
}

/** NewProject is POST /api/v1/projects's answer: the project and its first keys, shown once. */
export interface NewProject {
  id: number;
  name: string;
  created_at: string;
  ingest_key: string;
  read_key: string;
}

export interface Me {
  signed_in: boolean;
  user?: User;
  key_id?: number;
  project: number;
  role: string;
  projects: ProjectRole[];
  can: Record<string, boolean>;
}

export interface Member extends User {
  role: string;
}

import type { KeyInfo } from './types';

export interface AuditEntry {
  id: number;
  ts: string;
  project_id: number;
  actor: string;
  action: string;
  target: string;
  remote: string;
  status: number;
}

export interface AuthMethods {
  password: boolean;
  oidc?: { name: string; start: string };
}

export const authMethods = (signal?: AbortSignal) => api<AuthMethods>('/api/v1/auth/methods', undefined, { signal });
export const me = (signal?: AbortSignal) => api<Me>('/api/v1/auth/me', undefined, { signal });
export const login = (email: string, password: string) => post<{ user: User }>('/api/v1/auth/login', { email, password });
export const useLink = (token: string) => post<{ user: User }>('/api/v1/auth/link', { token });
export const logout = () => post('/api/v1/auth/logout', {});
export const setPassword = (current: string, next: string) =>
  api('/api/v1/auth/password', undefined, { method: 'PUT', body: JSON.stringify({ current, new: next }) });
export const projects = (signal?: AbortSignal) => api<ProjectRole[]>('/api/v1/projects', undefined, { signal });
export const createProject = (name: string) => post<NewProject>('/api/v1/projects', { name });

/** ProjectDeletion is DELETE /api/v1/projects/{id}'s answer. */
export interface ProjectDeletion {
  id: number;
  name: string;
  deleted_events: number;
  /** events_pending: the events' deletion is still under way, in the background. */
  events_pending: boolean;
}

/** deleteProject deletes a project for good, confirm being its name (a server admin's act). */
export const deleteProject = (id: number, confirm: string) =>
  api<ProjectDeletion>(`/api/v1/projects/${id}`, { confirm }, { method: 'DELETE' });
export const members = (signal?: AbortSignal) => api<Member[]>('/api/v1/members', undefined, { signal });
export const setMember = (email: string, role: string, password?: string) =>
  api<{ member: Member; created?: boolean; login_link?: string }>('/api/v1/members', undefined, {
    method: 'PUT',
    body: JSON.stringify({ email, role, ...(password ? { password } : {}) }),
  });
export const removeMember = (id: number) => api(`/api/v1/members/${id}`, undefined, { method: 'DELETE' });
export const keys = (signal?: AbortSignal) => api<KeyInfo[]>('/api/v1/keys', undefined, { signal });
export const createKey = (role: string, expires_in: string) =>
  post<{ key: string; info: KeyInfo }>('/api/v1/keys', { role, ...(expires_in ? { expires_in } : {}) });
export const rotateKey = (id: number, overlap: string) => post<{ key: string; info: KeyInfo }>(`/api/v1/keys/${id}/rotate`, { overlap });
export const revokeKey = (id: number) => api(`/api/v1/keys/${id}`, undefined, { method: 'DELETE' });
export const auditLog = (signal?: AbortSignal) => api<{ entries: AuditEntry[] }>('/api/v1/audit', { limit: 200 }, { signal });
export const allowedOrigins = (signal?: AbortSignal) => api<{ allowed_origins: string[] }>('/api/v1/origins', undefined, { signal });
export const setAllowedOrigins = (origins: string[]) =>
  api<{ allowed_origins: string[] }>('/api/v1/origins', undefined, { method: 'PUT', body: JSON.stringify({ allowed_origins: origins }) });
