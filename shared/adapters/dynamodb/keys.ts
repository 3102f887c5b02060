import { fnv1a64 } from '../../domain/request/request.js';

/*
 * Every key of the single table, built here and nowhere else. Keys lead with the tenant; index
 * partitions that can grow hot under load (a status, a dead worker type's waiting list, the
 * deadlines) are spread over INDEX_SHARDS partitions by a hash of the request id, and readers
 * query every shard.
 */

export const INDEX_SHARDS = 4;

/** '#' separates key parts, so it (and the escape character) is escaped inside a part. */
export function keyPart(value: string): string {
  return value.replaceAll('%', '%25').replaceAll('#', '%23');
}

/** The value a `keyPart` was built from (index queries return keys, not the attributes they came from). */
export function unescapeKeyPart(part: string): string {
  return part.replace(/%2[35]/g, (escape) => (escape === '%23' ? '#' : '%'));
}

export function shardOf(requestId: string): number {
  return Number(fnv1a64([requestId]) % BigInt(INDEX_SHARDS));
}

export const SHARDS: readonly number[] = Array.from({ length: INDEX_SHARDS }, (_, shard) => shard);

const tenantPrefix = (tenant: string) => `T#${keyPart(tenant)}`;

/**
 * The status-index partition of a status. A worker's RUNNING would otherwise move every request
 * from the DISPATCHED partition to the RUNNING one (an index delete and put); sharing one, it only
 * rewrites the projected entry in place. A search for either reads both and keeps the one asked.
 */
export function statusPartition(status: string): string {
  return status === 'DISPATCHED' || status === 'RUNNING' ? 'ACTIVE' : status;
}

export const RequestKeys = {
  primary: (tenant: string, requestId: string) => ({ pk: `${tenantPrefix(tenant)}#R#${keyPart(requestId)}`, sk: 'R' }),
  /** gsi1: requests of a tenant by status (DISPATCHED and RUNNING share one partition), by creation date. */
  byStatus: (tenant: string, status: string, shard: number) => `${tenantPrefix(tenant)}#S#${statusPartition(status)}#${shard}`,
  /** gsi2: NO_WORKER_AVAILABLE requests of a tenant by the worker type they wait for ('~' = not routed). */
  waiting: (tenant: string, workerType: string | null, shard: number) =>
    `${tenantPrefix(tenant)}#W#${workerType === null ? '~' : keyPart(workerType)}#${shard}`,
  /** gsi2 too: TO_DISPATCH requests of a tenant waiting for a slot of a worker type (fair dispatch). */
  slotQueue: (tenant: string, workerType: string, shard: number) => `${tenantPrefix(tenant)}#Q#${keyPart(workerType)}#${shard}`,
  /** gsi3: requests of a tenant by deadline. */
  due: (tenant: string, shard: number) => `${tenantPrefix(tenant)}#D#${shard}`,
  /** Sort key of gsi1 and gsi2: creation order, the request id breaking ties. */
  byCreation: (creationDate: string, requestId: string) => `${creationDate}#${keyPart(requestId)}`,
  /** Sort key of gsi3. */
  byDeadline: (deadline: string, requestId: string) => `${deadline}#${keyPart(requestId)}`,
};

export const TenantKeys = {
  config: (tenant: string) => ({ pk: `${tenantPrefix(tenant)}#CONFIG`, sk: 'CONFIG' }),
  /** One small partition listing every tenant seen; tenants are few (REGARDS projects). */
  registryPartition: 'TENANTS',
  registryEntry: (tenant: string) => ({ pk: 'TENANTS', sk: tenantPrefix(tenant) }),
};

export const CounterKeys = {
  session: (tenant: string, source: string, session: string) => ({
    pk: `${tenantPrefix(tenant)}#C#${keyPart(source)}#${keyPart(session)}`,
    sk: 'C',
  }),
};

/**
 * A tenant's bulk jobs share one partition: operators start a few a day, and listing them newest
 * first is then one query. Job ids sort by creation time (UUIDv7), so the sort key orders them.
 */
export const JobKeys = {
  partition: (tenant: string) => `${tenantPrefix(tenant)}#JOBS`,
  job: (tenant: string, jobId: string) => ({ pk: `${tenantPrefix(tenant)}#JOBS`, sk: `J#${keyPart(jobId)}` }),
};

/** One item per limited worker type: its requests in flight, in all and per tenant (fair dispatch). */
export const SlotKeys = {
  workerType: (workerType: string) => ({ pk: 'SLOTS', sk: `WT#${keyPart(workerType)}` }),
};

/** An item nobody writes: the health check reads it to prove the table answers. */
export const HealthKeys = {
  probe: { pk: 'HEALTH', sk: 'HEALTH' },
};

/** Workers are not tenant-scoped (one queue per worker type serves every tenant, as in REGARDS). */
export const WorkerKeys = {
  /** One item per worker type, holding when the type was last known alive. */
  typesPartition: 'WORKERS',
  type: (workerType: string) => ({ pk: 'WORKERS', sk: `WT#${keyPart(workerType)}` }),
  instancesPartition: (workerType: string) => `WT#${keyPart(workerType)}`,
  instance: (workerType: string, instanceId: string) => ({
    pk: `WT#${keyPart(workerType)}`,
    sk: `I#${keyPart(instanceId)}`,
  }),
};
