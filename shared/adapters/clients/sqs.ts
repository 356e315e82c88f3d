import { SqsClient } from '../aws/sqs';

export const sqsClient = new SqsClient();
