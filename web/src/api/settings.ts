// The project's data lifecycle settings (GET/PUT /api/v1/settings/{name}):
// retention, sampling and privacy.
import { api } from './client';

export interface RetentionSettings {
  logs_days: number;
  spans_days: number;
  errors_days: number;
  events_days: number;
  checks_days: number;
  replays_days: number;
}

export interface SamplingSettings {
  debug_logs: number;
  info_logs: number;
  traces: number;
}

export interface PrivacySettings {
  disabled: boolean;
  emails: boolean;
  keep_card_numbers: boolean;
  ip_addresses: string;
  deny_fields: string[] | null;
  allow_fields: string[] | null;
  patterns: string[] | null;
}

/** putSettings saves one settings document; the answer is it, defaults filled in. */
export function putSettings<T>(name: string, body: T): Promise<T> {
  return api<T>(`/api/v1/settings/${name}`, undefined, { method: 'PUT', body: JSON.stringify(body) });
}
