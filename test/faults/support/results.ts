import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAULTS_LONG, FAULTS_SEED } from './seed.js';

/*
 * What each scenario observed, printed always and written to test/faults/results/<file>.json when
 * FAULTS_RECORD=1 (`npm run test:faults:record`), so the README quotes a real run and an ordinary
 * CI run leaves the checkout clean.
 */

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface ScenarioResult {
  scenario: string;
}

export class ResultBook {
  private readonly scenarios: ScenarioResult[] = [];

  public constructor(private readonly file: string) {}

  public add<T extends ScenarioResult>(result: T): void {
    this.scenarios.push(result);
    console.log(`[faults seed=${FAULTS_SEED}${FAULTS_LONG ? ' long' : ''}] ${JSON.stringify(result)}`);
  }

  public write(): void {
    if (process.env['FAULTS_RECORD'] !== '1' || this.scenarios.length === 0) return;
    mkdirSync(RESULTS_DIR, { recursive: true });
    const name = `${this.file}${FAULTS_LONG ? '.long' : ''}.json`;
    const document = { seed: FAULTS_SEED, long: FAULTS_LONG, recordedAt: new Date().toISOString(), scenarios: this.scenarios };
    writeFileSync(`${RESULTS_DIR}${name}`, `${JSON.stringify(document, null, 2)}\n`);
  }
}
