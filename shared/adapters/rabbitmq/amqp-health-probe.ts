import { HealthProbe } from '../../ports/health-probe.js';
import type { AmqpConnectionProvider } from '../../amqp-kit/connection.js';

/** A channel opened and closed on the shared connection: a round trip, so a half-dead connection shows. */
export class AmqpHealthProbe extends HealthProbe {
  public readonly name = 'broker';

  public constructor(private readonly provider: AmqpConnectionProvider) {
    super();
  }

  public async check(): Promise<void> {
    const connection = await this.provider.get();
    const channel = await connection.createChannel();
    await channel.close();
  }
}
