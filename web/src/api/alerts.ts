// Alerting: the calls for monitors, uptime checks, the status summary and
// notification channels (their types are in types.ts).
import { api, get, post } from './client';
import type { Attempt, Channel, ChannelList, Check, CheckList, CheckRule, Monitor, MonitorList, MonitorOptions, MonitorRule, StatusSummary } from './types';
import type * as G from './types.gen';

export const listMonitors = (signal?: AbortSignal) => get<MonitorList>('/api/v1/monitors', undefined, signal);
export const getMonitor = (id: number, signal?: AbortSignal) => get<Monitor>(`/api/v1/monitors/${id}`, undefined, signal);
export const monitorOptions = (signal?: AbortSignal) => get<MonitorOptions>('/api/v1/monitors/options', undefined, signal);
export const evaluateMonitor = (id: number) => post<Monitor>(`/api/v1/monitors/${id}/evaluate`, {});
export const deleteMonitor = (id: number) => api(`/api/v1/monitors/${id}`, undefined, { method: 'DELETE' });
export const monitorDeliveries = (id: number, signal?: AbortSignal) => get<{ attempts: Attempt[] | null }>(`/api/v1/monitors/${id}/deliveries`, undefined, signal);

/** saveMonitor creates (no id) or replaces a monitor's rule. */
export function saveMonitor(m: MonitorRule): Promise<Monitor> {
  const { id, ...rule } = m;
  const body = JSON.stringify(rule);
  return id ? api<Monitor>(`/api/v1/monitors/${id}`, undefined, { method: 'PUT', body }) : api<Monitor>('/api/v1/monitors', undefined, { method: 'POST', body });
}

export const listChecks = (signal?: AbortSignal) => get<CheckList>('/api/v1/checks', undefined, signal);
export const getStatus = (signal?: AbortSignal) => get<StatusSummary>('/api/v1/status', undefined, signal);
export const runCheck = (id: number) => post<Check>(`/api/v1/checks/${id}/run`, {});
export const deleteCheck = (id: number) => api(`/api/v1/checks/${id}`, undefined, { method: 'DELETE' });

export const createCheck = (c: CheckRule) => post<Check>('/api/v1/checks', c);

export const listChannels = (signal?: AbortSignal) => get<ChannelList>('/api/v1/channels', undefined, signal);
export const createChannel = (c: Omit<Channel, 'id'>) => post<Channel>('/api/v1/channels', c);
export const deleteChannel = (id: number) => api(`/api/v1/channels/${id}`, undefined, { method: 'DELETE' });
export const testChannel = (id: number) => post<G.TestResponse>(`/api/v1/channels/${id}/test`, {});
export const channelDeliveries = (id: number, signal?: AbortSignal) => get<{ attempts: Attempt[] | null }>(`/api/v1/channels/${id}/deliveries`, { limit: 20 }, signal);
