/**
 * Fills the silos with a generated trip history, for benchmarks and for trying the analytics on realistic volumes:
 *
 *   npx -y pnpm@10 generate-history -- --trips 1000000 --years 2 [--seed N] [--consume]
 *
 * Databases come from HOSPITAL_DATABASE_URL, EMS_DATABASE_URL, CENTER_DATABASE_URL (embedded PGlite under
 * MEDPORT_DATA_DIR for any that is unset); each is migrated and seeded with the demo network first. The history ends
 * now. By default the center's facts are folded from the generated events here (see scripts/history.ts);
 * `--consume` leaves them to the center's consumers, which build them when the center next runs. Run it while the
 * services are stopped.
 */
import { parseArgs } from 'node:util';
import { generateHistory, openSilos } from './history.js';

const { values } = parseArgs({
  options: {
    trips: { type: 'string', default: '1000000' },
    years: { type: 'string', default: '2' },
    seed: { type: 'string' },
    consume: { type: 'boolean', default: false },
  },
});
const trips = Number(values.trips);
const years = Number(values.years);
// A seed repeats a history exactly (into other databases: the same trips twice are refused); a new one by default.
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!(Number.isInteger(trips) && trips > 0) || !(years > 0)) {
  console.error('--trips must be a positive whole number and --years a positive number');
  process.exit(64);
}

const silos = await openSilos({ LOG_LEVEL: 'warn', ...process.env });

const started = Date.now();
const to = new Date();
const from = new Date(to.getTime() - years * 365.25 * 86_400_000);
const progress = (stored: number, total: number) => {
  const seconds = (Date.now() - started) / 1000;
  const remaining = stored === 0 ? 0 : (seconds / stored) * (total - stored);
  process.stderr.write(
    `\r${stored.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} trips (${Math.floor((stored / total) * 100)}%) · ${seconds.toFixed(0)} s · about ${remaining.toFixed(0)} s left   `,
  );
};
try {
  const result = await generateHistory(
    silos.databases,
    { trips, from, to, seed, centerFacts: values.consume ? 'consume' : 'fold', onProgress: progress, onStep: (step) => process.stderr.write(`\n${step}…`) },
  );
  process.stderr.write('\n');
  console.log(
    `${result.trips.toLocaleString('en-US')} trips (seed ${seed}), ${result.events.toLocaleString('en-US')} events from ${from.toISOString().slice(0, 10)} to ${to.toISOString().slice(0, 10)} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  await silos.close();
}
