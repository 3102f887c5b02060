/*
 * The request bodies the benchmarks publish. A body of one repeated byte compresses 50-fold and
 * would flatter the store's compression (README, "Cost"), so there are two honest kinds:
 * - json: what a REGARDS client sends, a batch of product descriptors (ids, provider ids, dates,
 *   numbers, coordinates, file checksums) drawn from a seeded generator, so every run publishes
 *   the same bytes and they compress about as real descriptors do (2-4x, not 50x);
 * - random: bytes no compressor can shrink, the worst case (stored as they came).
 */

export const BODY_KINDS = ['json', 'random'] as const;
export type BodyKind = (typeof BODY_KINDS)[number];

/** mulberry32: a small seeded PRNG, so a body is the same in every run. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['SENTINEL2_L1C', 'SENTINEL2_L2A', 'SWOT_L2_HR_RASTER', 'SWOT_L2_LR_SSH', 'CFOSAT_L1B', 'MICROSCOPE_N0'];
const FILE_TYPES = ['RAWDATA', 'QUICKLOOK_SD', 'QUICKLOOK_MD', 'THUMBNAIL', 'DESCRIPTION', 'AIP'];
const MIME_TYPES = ['image/tiff', 'image/png', 'application/x-netcdf', 'application/zip', 'application/json'];
const WORDS = [
  'orbit',
  'tile',
  'swath',
  'cycle',
  'pass',
  'granule',
  'ascending',
  'descending',
  'cloud',
  'cover',
  'processing',
  'baseline',
  'mission',
  'sensor',
];

/** A product descriptor, as REGARDS ingest requests carry them. */
function descriptor(random: () => number, index: number): unknown {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const hex = (digits: number) => Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
  const int = (max: number) => Math.floor(random() * max);
  const date = new Date(Date.UTC(2024, 0, 1) + int(365 * 24 * 3600) * 1000).toISOString();
  const lon = -180 + random() * 360;
  const lat = -80 + random() * 160;
  const corner = (dLon: number, dLat: number) => [Number((lon + dLon).toFixed(5)), Number((lat + dLat).toFixed(5))];
  const providerId = `${pick(MODELS)}_${date.replace(/[-:.]/g, '').slice(0, 15)}_N${int(9999).toString().padStart(4, '0')}_R${int(143)}_T${hex(5).toUpperCase()}`;
  return {
    providerId,
    model: pick(MODELS),
    session: `session-${date.slice(0, 10)}`,
    properties: {
      startDate: date,
      cycle: int(600),
      pass: int(584),
      cloudCover: Number((random() * 100).toFixed(2)),
      tags: [pick(WORDS), pick(WORDS)],
    },
    geometry: { type: 'Polygon', coordinates: [[corner(0, 0), corner(1.1, 0), corner(1.1, 0.9), corner(0, 0.9), corner(0, 0)]] },
    files: [
      {
        dataType: pick(FILE_TYPES),
        url: `s3://regards-ingest/${providerId.toLowerCase()}/${index}.dat`,
        checksum: hex(32),
        algorithm: 'MD5',
        size: int(2_000_000_000),
        mimeType: pick(MIME_TYPES),
      },
    ],
  };
}

/** Words to fill exactly `length` characters, so a body is exactly the size asked for. */
function filler(random: () => number, length: number): string {
  let text = '';
  while (text.length < length) text += `${WORDS[Math.floor(random() * WORDS.length)]} `;
  return text.slice(0, length);
}

/** A JSON body of exactly `bytes` bytes (at least 128): descriptors while they fit, then a note filling the rest. */
export function jsonBody(bytes: number, seed = 1): Buffer {
  const random = generator(seed);
  const body = { requestType: 'INGEST', items: [] as unknown[], note: '' };
  if (bytes < 128) throw new RangeError(`a JSON body takes at least 128 bytes, not ${bytes}`);
  for (let index = 0; ; index += 1) {
    const next = descriptor(random, index);
    body.items.push(next);
    if (JSON.stringify(body).length > bytes) {
      body.items.pop();
      break;
    }
  }
  body.note = filler(random, bytes - JSON.stringify(body).length);
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** `bytes` random bytes: nothing to compress. */
export function randomBody(bytes: number, seed = 1): Buffer {
  const random = generator(seed);
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256)));
}

export function benchBody(kind: BodyKind, bytes: number, seed = 1): Buffer {
  return kind === 'json' ? jsonBody(bytes, seed) : randomBody(bytes, seed);
}
