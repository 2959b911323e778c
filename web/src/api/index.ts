// The read API: its client (client.ts) and the types of its answers.
export * from './client';
export type * from './event';
export type * from './types';
export * from './alerts';
export * from './people';
export * from './settings';
export * from './query';
