import { beforeEach, describe, expect, it } from 'vitest';
import { NATIVE_FORMAT, REGARDS_CONFIG_KEYS } from '../../../shared/contract/config-file.js';
import { registerRequests } from '../../../shared/application/use-cases/register-requests.js';
import { declareTenant, exportConfiguration, getSettings, importConfiguration, updateSetting } from '../../../shared/application/use-cases/configure-tenant.js';
import { ConfigurationConflictError, ConfigurationRefusedError, SettingNotFoundError } from '../../../shared/application/use-cases/use-case-errors.js';
import { bringAlive, memoryWorld, requestMessage, type MemoryWorld } from '../../support/use-case-fixtures.js';

const TENANT = 'tenant-c';

const regardsFile = (configuration: { key: string; value: unknown }[], resetBeforeImport = true) => ({
  microservice: 'rs-worker-manager',
  modules: [{ module: { id: 'workermanager' }, resetBeforeImport, configuration }],
});
const worker = (workerType: string, contentTypeInputs: string[]) => ({ key: REGARDS_CONFIG_KEYS.worker, value: { workerType, contentTypeInputs } });

describe('configuration use cases', () => {
  let world: MemoryWorld;
  beforeEach(() => {
    world = memoryWorld();
  });

  it('imports a valid REGARDS file, drops the cache, and dispatches the requests that waited unrouted', async () => {
    await declareTenant(TENANT, world);
    await registerRequests({ messages: [requestMessage({ tenant: TENANT, requestId: 'early', contentType: 'to-extract' })], unreadable: [] }, world);
    expect((await world.requests.getAll(TENANT, ['early'])).get('early')?.status).toBe('NO_WORKER_AVAILABLE');
    await bringAlive(world, 'extract-worker');
    const result = await importConfiguration({ tenant: TENANT, file: regardsFile([worker('extract-worker', ['to-extract'])]) }, world);
    expect(result.config.version).toBe(1);
    expect(result.redispatch).toMatchObject({ dispatched: 1 });
    expect((await world.requests.getAll(TENANT, ['early'])).get('early')?.status).toBe('DISPATCHED');
    expect(await world.configStore.listTenants()).toContain(TENANT);
    const exported = await exportConfiguration(TENANT, 'native', world);
    expect(exported).toMatchObject({ format: NATIVE_FORMAT, workers: [{ workerType: 'extract-worker', contentTypeInputs: ['to-extract'] }] });
  });

  it('declares a tenant once (idempotent), which an import also does', async () => {
    expect(await declareTenant(TENANT, world)).toEqual({ tenant: TENANT, created: true, configured: false });
    expect(await declareTenant(TENANT, world)).toEqual({ tenant: TENANT, created: false, configured: false });
    expect(await world.configStore.listTenants()).toEqual([TENANT]);
    await importConfiguration({ tenant: 'tenant-imported', file: regardsFile([worker('a', ['x'])]) }, world);
    expect(await world.configStore.isDeclared('tenant-imported')).toBe(true);
    expect(await declareTenant('tenant-imported', world)).toEqual({ tenant: 'tenant-imported', created: false, configured: true });
  });

  it('refuses an invalid file as a whole, listing every error, and changes nothing', async () => {
    await importConfiguration({ tenant: TENANT, file: regardsFile([worker('a', ['x'])]) }, world);
    const before = await world.configStore.get(TENANT);
    const bad = regardsFile([worker('', ['y']), worker('b', ['x']), { key: 'nope', value: {} }], false);
    const refused = await importConfiguration({ tenant: TENANT, file: bad }, world).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfigurationRefusedError);
    const paths = (refused as ConfigurationRefusedError).errors.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['modules[0].configuration[0].value.workerType', 'modules[0].configuration[2].key']));
    expect(paths.length).toBeGreaterThanOrEqual(3);
    expect(await world.configStore.get(TENANT)).toEqual(before);
  });

  it('takes only the native format on the native import', async () => {
    await expect(importConfiguration({ tenant: TENANT, file: regardsFile([]), format: 'native' }, world)).rejects.toBeInstanceOf(ConfigurationRefusedError);
    const result = await importConfiguration(
      { tenant: TENANT, file: { format: NATIVE_FORMAT, workers: [{ workerType: 'w', contentTypeInputs: ['c'] }] }, format: 'native' },
      world,
    );
    expect(result.config.workers).toHaveLength(1);
  });

  it('re-plans on the fresh configuration when another import won the race, and gives up after a few rounds', async () => {
    const put = world.configStore.put.bind(world.configStore);
    let conflicts = 1;
    world.configStore.put = async (...args) => (conflicts-- > 0 ? 'conflict' : put(...args));
    expect((await importConfiguration({ tenant: TENANT, file: regardsFile([worker('w', ['c'])]) }, world)).config.version).toBe(1);
    world.configStore.put = async () => 'conflict';
    await expect(importConfiguration({ tenant: TENANT, file: regardsFile([]) }, world)).rejects.toBeInstanceOf(ConfigurationConflictError);
  });

  it('changes skipContentTypes through the import rules, resets it, and knows no other setting', async () => {
    await importConfiguration({ tenant: TENANT, file: regardsFile([worker('w', ['used'])]) }, world);
    expect(await updateSetting({ tenant: TENANT, name: 'skipContentTypes', value: ['ignored'] }, world)).toEqual({ skipContentTypes: ['ignored'] });
    expect((await getSettings(TENANT, world)).skipContentTypes).toEqual(['ignored']);
    await expect(updateSetting({ tenant: TENANT, name: 'skipContentTypes', value: ['used'] }, world)).rejects.toBeInstanceOf(ConfigurationRefusedError);
    await expect(updateSetting({ tenant: TENANT, name: 'skipContentTypes', value: 'not a list' }, world)).rejects.toBeInstanceOf(ConfigurationRefusedError);
    expect(await updateSetting({ tenant: TENANT, name: 'skipContentTypes', value: undefined }, world)).toEqual({ skipContentTypes: [] });
    await expect(updateSetting({ tenant: TENANT, name: 'other', value: [] }, world)).rejects.toBeInstanceOf(SettingNotFoundError);
    expect((await world.configStore.get(TENANT))?.workers).toHaveLength(1);
  });
});
