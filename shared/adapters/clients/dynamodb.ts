import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * One client per service per process, created at module scope so Lambda reuses them across invocations, and
 * one module per service so each function bundles only the clients it uses. Endpoints come from the SDK's own
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local stack points the unchanged handlers at its emulators.
 */
export const dynamoDbClient = new DynamoDBClient({});

export const documentClient = DynamoDBDocumentClient.from(dynamoDbClient, {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});
