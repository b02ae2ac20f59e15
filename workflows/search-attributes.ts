// @temporalio/common is the SDK's deterministic core that @temporalio/workflow itself builds on: the typed
// search-attribute keys live there, so it is the one import besides the design's list that workflow code may use.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Temporal stores search attributes in plain text: only kind, version, state, roles, deadlines,
 * organisations and the case reference may go here, never anything about the person.
 */
export const searchAttributes = {
  kind: defineSearchAttributeKey('PathwayKind', SearchAttributeType.KEYWORD),
  version: defineSearchAttributeKey('PathwayVersion', SearchAttributeType.KEYWORD),
  /** Every active state, dotted from the top: `PathwayState='inHospital'` and `…='inHospital.placementSearch'` both match. */
  state: defineSearchAttributeKey('PathwayState', SearchAttributeType.KEYWORD_LIST),
  pendingRoles: defineSearchAttributeKey('PendingRoles', SearchAttributeType.KEYWORD_LIST),
  nextDeadline: defineSearchAttributeKey('NextDeadline', SearchAttributeType.DATETIME),
  organisations: defineSearchAttributeKey('Organisations', SearchAttributeType.KEYWORD_LIST),
  caseRef: defineSearchAttributeKey('CaseRef', SearchAttributeType.KEYWORD),
} as const;

const cliTypeNames: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** `Name=Type` pairs for `temporal server start-dev --search-attribute` and `temporal operator search-attribute create`. */
export const searchAttributeDeclarations: string[] = Object.values(searchAttributes).map((key) => `${key.name}=${cliTypeNames[key.type]}`);
