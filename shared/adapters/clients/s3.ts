import { S3Client } from '@aws-sdk/client-s3';

// s3rver (local) only serves path-style URLs.
export const s3Client = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
