import { loadProgramConfig, type ProgramConfig } from '../domain/program';
import * as z from '../support/zod-mini';
import { CAMPAIGN_CACHE } from '../topology';

const envSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1, 'TABLE_NAME must name the loyalty table')),
  BUCKET_NAME: z.optional(z.string()),
  FILE_EVENTS_QUEUE_URL: z.optional(z.string()),
  MOMA_QUEUE_URL: z.optional(z.string()),
  PROGRAM_CONFIG: z.optional(z.string()),
});

export interface AppConfig {
  tableName: string;
  bucketName?: string;
  fileEventsQueueUrl?: string;
  momaQueueUrl?: string;
  program: ProgramConfig;
}

/**
 * Reads the settings every ingest path shares from the function's environment; a missing setting fails at cold
 * start, loudly. A function that needs less reads only its own settings (readTableName, readProgram, required).
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid configuration: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return {
    tableName: parsed.data.TABLE_NAME,
    bucketName: parsed.data.BUCKET_NAME,
    fileEventsQueueUrl: parsed.data.FILE_EVENTS_QUEUE_URL,
    momaQueueUrl: parsed.data.MOMA_QUEUE_URL,
    program: loadProgramConfig(parsed.data.PROGRAM_CONFIG),
  };
}

/** The loyalty table (TABLE_NAME). */
export function readTableName(env: NodeJS.ProcessEnv = process.env): string {
  if (!env.TABLE_NAME) throw new Error('invalid configuration: TABLE_NAME must name the loyalty table');
  return env.TABLE_NAME;
}

/** The loyalty program's rules: the defaults, with the PROGRAM_CONFIG override when there is one. */
export function readProgram(env: NodeJS.ProcessEnv = process.env): ProgramConfig {
  return loadProgramConfig(env.PROGRAM_CONFIG);
}

/** How long a function trusts the campaigns it loaded (CAMPAIGN_CACHE_SECONDS, set from the topology). */
export function readCampaignCacheSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const seconds = Number(env.CAMPAIGN_CACHE_SECONDS ?? CAMPAIGN_CACHE.seconds);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3_600)
    throw new Error('invalid configuration: CAMPAIGN_CACHE_SECONDS must be a number of seconds from 0 to 3600');
  return seconds;
}

/**
 * How long after it is saved a campaign change takes effect: the functions' cache period, and a margin for the write
 * itself and for clocks that differ a little between functions.
 */
export const campaignDelaySeconds = (cacheSeconds: number) => cacheSeconds + Math.min(5, cacheSeconds);

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new Error(`invalid configuration: ${name} is not set`);
  return value;
}
