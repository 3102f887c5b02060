import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HealthProbe } from '../../ports/health-probe.js';
import { storeCall } from './store-call.js';
import { HealthKeys } from './keys.js';

/** The table answers a key read: the cheapest call that proves the store is usable (no DescribeTable permission needed). */
export class DynamoHealthProbe extends HealthProbe {
  public readonly name = 'store';

  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    super();
  }

  public async check(): Promise<void> {
    await storeCall('GetItem', () => this.client.send(new GetCommand({ TableName: this.tableName, Key: HealthKeys.probe })));
  }
}
