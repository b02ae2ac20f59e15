import { createNotificationActivities, type NotificationDeps } from './notifications.js';

export type ActivityDeps = NotificationDeps;

/** Every side effect the interpreter may run, built from injected dependencies so that tests pass the real ones. */
export function createActivities(deps: ActivityDeps) {
  return { ...createNotificationActivities(deps) };
}

export type CaseActivities = ReturnType<typeof createActivities>;
export type { NotificationRequest, NotificationResult, NotificationTemplate } from './notifications.js';
