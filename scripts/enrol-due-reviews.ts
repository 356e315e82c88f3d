import { parseArgs } from 'node:util';
import { documentClient } from '../shared/adapters/clients/dynamodb';
import { enrolCustomersForReview } from '../shared/adapters/dynamodb/due-enrolment';
import { DEFAULT_PROGRAM } from '../shared/domain/program';
import { readProgram } from '../shared/wiring/config';

const usage = `TABLE_NAME=<table> npm run enrol-due-reviews [-- --segments 4]

Once, when PROGRAM_CONFIG switches points expiry or tier requalification on for a table that already has customers:
puts every customer holding points (or a tier above ${DEFAULT_PROGRAM.tiers[0]!.name}) on the scheduled run's day
today, so the run looks at each of them (customers who buy again are put on it by their next award anyway). Uses the
AWS SDK's credentials and region; AWS_ENDPOINT_URL_DYNAMODB points it at the local stack's DynamoDB Local.`;

async function main() {
  const { values } = parseArgs({ options: { segments: { type: 'string', default: '4' }, help: { type: 'boolean', default: false } } });
  const tableName = process.env.TABLE_NAME;
  if (values.help || !tableName) {
    console.log(usage);
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  const segments = Number(values.segments);
  if (!Number.isInteger(segments) || segments < 1 || segments > 64) throw new Error('--segments must be a whole number from 1 to 64');
  const result = await enrolCustomersForReview(documentClient, tableName, {
    dueAt: new Date().toISOString(),
    lowestTier: readProgram().tiers[0]!.name,
    segments,
    onPage: (seen) => process.stderr.write(`\r${seen} customers to enrol seen`),
  });
  console.log(`\n${result.enrolled} of ${result.seen} customers put on today's review (the others were scheduled meanwhile)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
