import { LambdaClient } from '../aws/lambda';

export const lambdaClient = new LambdaClient();
