import { createNotificationActivities, type NotificationDeps } from './notifications.js';
import { createRecordActivities, type RecordDeps } from './record.js';

export type ActivityDeps = NotificationDeps & RecordDeps;

/** Every side effect the interpreter may run, built from injected dependencies so that tests pass the real ones. */
export function createActivities(deps: ActivityDeps) {
  return { ...createNotificationActivities(deps), ...createRecordActivities(deps) };
}

export type CaseActivities = ReturnType<typeof createActivities>;
export type { NotificationRequest, NotificationResult, NotificationTemplate } from './notifications.js';
