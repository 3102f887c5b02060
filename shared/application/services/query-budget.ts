/**
 * Store queries a bounded run may still spend. Callers take the cost of a read before making it,
 * so a run never goes over: work that does not fit waits for the next run, where a continuation
 * resumes it. What makes the sweeper's cost per run independent of how many tenants exist.
 */
export class QueryBudget {
  private spentQueries = 0;

  public constructor(
    public readonly limit: number,
    /** A run's budget this one is a part of: what this one spends is spent there too. */
    private readonly parent?: QueryBudget,
  ) {
    if (!(limit >= 0)) throw new RangeError(`a query budget cannot be negative, got ${limit}`);
  }

  public get spent(): number {
    return this.spentQueries;
  }

  public get remaining(): number {
    return Math.min(this.limit - this.spentQueries, this.parent?.remaining ?? Number.POSITIVE_INFINITY);
  }

  /** Takes `cost` queries when they fit, and says whether they did (nothing is taken otherwise). */
  public take(cost: number): boolean {
    if (cost > this.remaining) return false;
    this.spentQueries += cost;
    this.parent?.charge(cost);
    return true;
  }

  /** Gives back queries taken but not made (a listing page came back empty: no read of its items). */
  public refund(cost: number): void {
    const back = Math.min(cost, this.spentQueries);
    this.spentQueries -= back;
    this.parent?.refund(back);
  }

  /** A budget for one part of a run: at most `share` queries, taken from this one. */
  public slice(share: number): QueryBudget {
    return new QueryBudget(Math.max(0, Math.min(share, this.remaining)), this);
  }

  private charge(cost: number): void {
    this.spentQueries += cost;
    this.parent?.charge(cost);
  }
}

/** Tenants a bounded walk reads from the registry per query (one registry page is one query). */
export const TENANT_PAGE_SIZE = 100;
