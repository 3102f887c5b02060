/*
 * The one table, described as data: the CDK stateful stack and the local store both build it
 * from this, so the indexes the code queries are exactly the indexes that get deployed.
 */

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  nonKeyAttributes?: readonly string[];
}

export interface TableDefinition {
  partitionKey: string;
  sortKey: string;
  indexes: readonly IndexDefinition[];
  /** Set in AWS; never relied on for correctness (the sweeper purges what must go). */
  timeToLiveAttribute: string;
}

/** The request fields a search result shows (REGARDS LightRequest and a little more). */
export const LIGHT_REQUEST_ATTRIBUTES = [
  'tenant',
  'requestId',
  'id',
  'contentType',
  'source',
  'session',
  'creationDate',
  'status',
  'statusDate',
  'dispatchedWorkerType',
  'stepNumber',
  'stepWorkerType',
  'error',
  'attempt',
] as const;

export const TABLE_DEFINITION: TableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  indexes: [
    {
      name: 'by-status',
      partitionKey: 'gsi1pk',
      sortKey: 'gsi1sk',
      projection: 'INCLUDE',
      nonKeyAttributes: LIGHT_REQUEST_ATTRIBUTES,
    },
    { name: 'waiting', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'KEYS_ONLY' },
    { name: 'due', partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'KEYS_ONLY' },
  ],
  timeToLiveAttribute: 'ttl',
};
