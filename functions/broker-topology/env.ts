import * as z from 'zod';
import { AmqpFieldsSchema, BaseEnvSchema, checkingAmqp } from '../../shared/lambda/env.js';

/**
 * Only the broker: the topology itself comes in the custom resource's properties, so that changing
 * a queue name or the delivery limit updates the resource and re-applies it.
 */
export const BrokerTopologyEnvSchema = checkingAmqp(
  BaseEnvSchema.pick({ LOG_LEVEL: true }).extend(AmqpFieldsSchema.shape).extend({
    /** Local runs only: the management API when it is not on AMQP_URL's host at port 15672. AWS uses the endpoint's host. */
    RABBITMQ_MANAGEMENT_URL: z.url().optional(),
  }),
);
export type BrokerTopologyEnv = z.infer<typeof BrokerTopologyEnvSchema>;
