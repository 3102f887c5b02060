// use case --> (port) --> adapters/dynamodb | adapters/rabbitmq | adapters/memory

/** One dependency the health check looks at; `check` rejects when it cannot be used. */
export abstract class HealthProbe {
  public abstract readonly name: string;
  public abstract check(): Promise<void>;
}
