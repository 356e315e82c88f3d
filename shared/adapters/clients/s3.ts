import { S3Reader } from '../s3/s3-reader';

/*
 * The functions only read S3 (GetObject, ListObjectsV2): a small SigV4 reader rather than @aws-sdk/client-s3. Like
 * the SDK it finds the endpoint in AWS_ENDPOINT_URL_S3 and the region in AWS_REGION; s3rver (local) only serves
 * path-style URLs (S3_FORCE_PATH_STYLE=true).
 */
export const s3Client = new S3Reader();
